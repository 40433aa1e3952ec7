//! The default catalogue is embedded in the binary (`services::catalogue`, by `include_dir`).
//! `include_dir` makes each file it embeds a dependency, but not the folder: without this,
//! a product file added to or removed from `catalogue/` would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=catalogue");
}
