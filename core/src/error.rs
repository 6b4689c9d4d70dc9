//! Errors of the core, as values. The Redis layer turns each into an error reply; the text of
//! each reply is decided here, once.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The command got the wrong number of arguments.
    WrongArity,
    Syntax,
    NotInteger {
        what: &'static str,
    },
    NotNumber {
        what: &'static str,
    },
    DegreesOutOfRange {
        what: &'static str,
        limit: u32,
    },
    UnknownAlgo,
    /// A search settled more nodes than it may (`hunt.max-settled`).
    SearchBudget,
    /// The client went away; the search stopped.
    Cancelled,
    /// A bug caught at the edge (a panic): the reply says so; the log has the details.
    Internal,
    OutOfRange {
        what: &'static str,
        min: u64,
        max: u64,
    },
    TooLong {
        what: &'static str,
        limit: usize,
    },
    NoSuchMap,
    NoSuchBoard,
    NoSuchClue(Vec<u8>),
    ClueWithoutNode(Vec<u8>),
    NoSuchNode(u64),
    NoSuchEdge(u64, u64),
    TooManyNodes {
        limit: usize,
    },
    TooManyEdges,
    NoCoordinates,
    NoLandmarks,
    TooManyItems {
        limit: usize,
    },
    /// An `IFVERSION` condition failed: the clue is at another version.
    Stale {
        id: Vec<u8>,
        version: u64,
    },
    VersionExhausted,
    /// A persisted payload failed its checks.
    Corrupt(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WrongArity => write!(f, "ERR wrong number of arguments"),
            Error::Syntax => write!(f, "ERR syntax error"),
            Error::NotInteger { what } => write!(f, "ERR {what} is not an integer or out of range"),
            Error::NotNumber { what } => write!(f, "ERR {what} is not a number"),
            Error::DegreesOutOfRange { what, limit } => {
                write!(f, "ERR {what} must be between -{limit} and {limit} degrees")
            }
            Error::SearchBudget => write!(f, "ERR search budget exceeded"),
            Error::Cancelled => write!(f, "ERR search cancelled"),
            Error::Internal => write!(f, "ERR internal error in hunt (logged); nothing was changed"),
            Error::UnknownAlgo => write!(f, "ERR ALGO must be AUTO, DIJKSTRA, BIDIR, ASTAR or ALT"),
            Error::OutOfRange { what, min, max } => {
                write!(f, "ERR {what} must be between {min} and {max}")
            }
            Error::TooLong { what, limit } => write!(f, "ERR {what} is longer than {limit} bytes"),
            Error::NoSuchMap => write!(f, "ERR no such map"),
            Error::NoSuchBoard => write!(f, "ERR no such board"),
            Error::NoSuchClue(id) => write!(f, "ERR no such clue {}", String::from_utf8_lossy(id)),
            Error::ClueWithoutNode(id) => write!(f, "ERR clue {} has no node", String::from_utf8_lossy(id)),
            Error::NoSuchNode(id) => write!(f, "ERR no such node {id}"),
            Error::NoSuchEdge(from, to) => write!(f, "ERR no such edge {from} {to}"),
            Error::TooManyNodes { limit } => write!(f, "ERR map would exceed {limit} nodes"),
            Error::NoCoordinates => write!(f, "ERR ASTAR needs coordinates for every node (HUNT.NODES)"),
            Error::NoLandmarks => write!(
                f,
                "ERR ALT needs landmarks computed since the last weight decrease or new edge (HUNT.LANDMARKS)"
            ),
            Error::TooManyEdges => write!(f, "ERR map would exceed 4294967295 edges"),
            Error::TooManyItems { limit } => {
                write!(f, "ERR too many items in one call (the limit is {limit})")
            }
            Error::Stale { id, version } => {
                write!(f, "STALE clue {} is at version {version}", String::from_utf8_lossy(id))
            }
            Error::VersionExhausted => write!(f, "ERR board version would overflow"),
            Error::Corrupt(why) => write!(f, "ERR corrupt payload: {why}"),
        }
    }
}

impl std::error::Error for Error {}
