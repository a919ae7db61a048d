library(testthat)
library(kerasconfig)

test_check("kerasconfig")
