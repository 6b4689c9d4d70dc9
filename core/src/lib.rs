//! The pure core of hunt: map storage, search, clue board, argument parsing and the persisted
//! formats. Nothing here knows about Redis, so all of it is unit-tested and benchmarked
//! in-process; the module crate is a thin layer over it.

pub mod args;
pub mod board;
pub mod codec;
pub mod command;
pub mod error;
mod geo;
mod heap;
pub mod histogram;
mod id_index;
mod landmarks;
pub mod map;
pub mod message;
pub mod search;
pub mod trees;

pub use board::{Board, Change, Clue};
pub use error::Error;
pub use histogram::Histogram;
pub use map::{Cost, EdgeSpec, Map, Node, NodeId, Weight};
pub use search::{Algo, Query, Route, Search};
