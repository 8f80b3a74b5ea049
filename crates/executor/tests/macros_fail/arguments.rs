#[executor::main]
async fn main() {}

#[executor::main]
async fn with_args(port: u16) -> u16 {
    port
}
