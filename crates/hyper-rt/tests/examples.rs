//! The examples, run as a user would: the hello server fetched by the hyper client, and 1 000
//! echo round trips over 50 connections, all on our executor and reactor.

use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use reactor::net::{TcpListener, TcpStream};

#[path = "../examples/client.rs"]
mod client;
#[path = "../examples/echo.rs"]
mod echo;
#[path = "../examples/hello.rs"]
mod hello;

const CONNECTIONS: usize = 50;
const ROUND_TRIPS: usize = 1000;
/// A bound on how long anything here may hang before the test fails instead.
const HANG: Duration = Duration::from_secs(60);

#[test]
fn the_hello_server_answers_the_hyper_client() {
    let ex = executor::Executor::builder().worker_threads(1).build();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        drop(executor::spawn(hello::serve(listener)));
        for _ in 0..3 {
            let (status, body) = timers::timeout(HANG, client::get(&uri))
                .await
                .expect("no hang")
                .unwrap();
            assert_eq!(status, hyper::StatusCode::OK);
            assert_eq!(body, "Hello, world!");
        }
    });
}

#[test]
fn a_thousand_echo_round_trips_over_fifty_connections() {
    let ex = executor::Executor::builder().worker_threads(1).build();
    let done = ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(executor::spawn(echo::serve(listener)));
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                executor::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let mut done = 0;
                    for r in 0..ROUND_TRIPS / CONNECTIONS {
                        let message = [(c * 31 + r) as u8; 64];
                        stream.write_all(&message).await.unwrap();
                        let mut back = [0; 64];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, message);
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += timers::timeout(HANG, c).await.expect("no hang");
        }
        done
    });
    assert_eq!(done, ROUND_TRIPS);
}
