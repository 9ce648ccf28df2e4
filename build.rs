//! The migrations are embedded in the binary (`diesel_migrations::embed_migrations!`): a
//! migration added or renamed rebuilds it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
