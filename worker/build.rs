// The same build information as connectctl's (commit and build date for `--version`).
include!("../cli/build.rs");
