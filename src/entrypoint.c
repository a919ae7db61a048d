// Registers the Rust routines with R; see src/rust/src/lib.rs.
void R_init_kerasconfig_extendr(void *dll);
void register_extendr_panic_hook(void);

void R_init_kerasconfig(void *dll) {
    register_extendr_panic_hook();
    R_init_kerasconfig_extendr(dll);
}
