//! Lesson 5, "A minimal executor": one module per exercise.
//!
//! Each module has a generic `measure` (drives whatever implementation it is given and
//! records what happened) and a `run` (the registry entry: `measure` on our crates).

pub mod ex1_block_on;
pub mod ex2_executor;
pub mod ex3_delay;
pub mod ex4_concurrent;
pub mod ex5_join;
