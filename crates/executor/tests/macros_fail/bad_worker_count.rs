#[executor::main(worker_threads = "two")]
async fn main() {}
