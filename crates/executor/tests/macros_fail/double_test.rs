fn main() {}

#[executor::test]
#[test]
async fn twice() {}
