#[executor::main]
async fn main() {}

#[executor::test]
async fn generic<T: Default>() {}
