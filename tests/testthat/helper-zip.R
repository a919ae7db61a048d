# Zip archives written byte by byte, for tests of the archive reader. Every header field can be
# set by hand, so an archive can be as broken or as hostile as a test needs.

zip_u16 <- function(x) writeBin(as.integer(x), raw(), size = 2L, endian = "little")

zip_u32 <- function(x) {
  x <- as.numeric(x)
  c(zip_u16(x %% 65536), zip_u16(x %/% 65536))
}

# CRC-32 (zip's), on doubles split into 16-bit halves because R's bitwXor() stops at 31 bits.
zip_xor32 <- function(a, b) {
  bitwXor(a %/% 65536, b %/% 65536) * 65536 + bitwXor(a %% 65536, b %% 65536)
}

zip_crc_table <- local({
  table <- numeric(256)
  for (n in 0:255) {
    c <- n
    for (k in 1:8) c <- if (c %% 2 == 1) zip_xor32(3988292384, c %/% 2) else c %/% 2 # 0xEDB88320
    table[[n + 1L]] <- c
  }
  table
})

zip_crc32 <- function(bytes) {
  c <- 4294967295 # 0xFFFFFFFF
  for (b in as.integer(bytes)) {
    c <- zip_xor32(zip_crc_table[[bitwXor(c %% 256, b) + 1L]], c %/% 256)
  }
  zip_xor32(c, 4294967295)
}

# Raw deflate data: R's memCompress(type = "gzip") writes a zlib stream; drop its 2-byte header
# and 4-byte Adler-32 trailer.
zip_deflate <- function(bytes) {
  z <- memCompress(bytes, "gzip")
  z[3:(length(z) - 4L)]
}

zip_bytes <- function(x) if (is.character(x)) charToRaw(enc2utf8(x)) else x

# One entry. `content` is the uncompressed content; method 8 deflates it. Any header field can
# be overridden: `crc`, `csize`, `usize`, `flags`, `local_name`, `offset` (the local header
# offset written in the central directory), `data` (the bytes stored, as is).
zip_entry <- function(name, content = raw(), method = 0L, ...) {
  content <- zip_bytes(content)
  overrides <- list(...)
  data <- if (method == 8L) zip_deflate(content) else content
  # The CRC is computed in R, byte by byte: give `crc` for big contents.
  crc <- if ("crc" %in% names(overrides)) overrides$crc else zip_crc32(content)
  entry <- list(name = zip_bytes(name), data = data, method = method, flags = 0L, crc = crc,
                csize = length(data), usize = length(content), local_name = NULL, offset = NULL)
  for (field in names(overrides)) entry[field] <- list(overrides[[field]])
  if ("data" %in% names(overrides) && !"csize" %in% names(overrides)) entry$csize <- length(entry$data)
  if (!is.null(entry$local_name)) entry$local_name <- zip_bytes(entry$local_name)
  entry
}

# The archive: local headers and data, central directory, end record.
zip_archive <- function(entries, comment = raw()) {
  body <- raw()
  central <- raw()
  for (e in entries) {
    offset <- length(body)
    local_name <- if (is.null(e$local_name)) e$name else e$local_name
    body <- c(body,
      zip_u32(0x04034b50), zip_u16(20), zip_u16(e$flags), zip_u16(e$method), zip_u16(0), zip_u16(0x21),
      zip_u32(e$crc), zip_u32(e$csize), zip_u32(e$usize), zip_u16(length(local_name)), zip_u16(0),
      local_name, e$data)
    central <- c(central,
      zip_u32(0x02014b50), zip_u16(0x0314), zip_u16(20), zip_u16(e$flags), zip_u16(e$method), zip_u16(0),
      zip_u16(0x21), zip_u32(e$crc), zip_u32(e$csize), zip_u32(e$usize), zip_u16(length(e$name)),
      zip_u16(0), zip_u16(0), zip_u16(0), zip_u16(0), zip_u32(0x01800000), zip_u32(if (is.null(e$offset)) offset else e$offset),
      e$name)
  }
  n <- length(entries)
  c(body, central,
    zip_u32(0x06054b50), zip_u16(0), zip_u16(0), zip_u16(n), zip_u16(n), zip_u32(length(central)),
    zip_u32(length(body)), zip_u16(length(comment)), comment)
}

# A .keras archive in `dir` from (name = content) pairs, written by the package's own writer.
zip_keras_file <- function(dir, members, file = "model.keras") {
  path <- file.path(dir, file)
  bytes <- kerasconfig:::rs_archive_write(names(members), lapply(members, zip_bytes))
  writeBin(bytes, path)
  path
}

zip_write <- function(dir, bytes, file = "model.keras") {
  path <- file.path(dir, file)
  writeBin(bytes, path)
  path
}

# Every file under the temporary directory and the working directory, to show that nothing new
# appears while an archive is read.
zip_all_files <- function(...) {
  dirs <- c(tempdir(), getwd(), ...)
  sort(unlist(lapply(dirs, list.files, recursive = TRUE, all.files = TRUE, full.names = TRUE, include.dirs = TRUE)))
}
