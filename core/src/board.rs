//! The clue board: clue ids mapped to their current clue, each change stamped with a new
//! board version.
//!
//! Versions never go backwards and are never reused: every publish or unpublish takes the next
//! board version. A removed clue leaves a tombstone (its id and the version of the removal),
//! so that a client catching up with `SINCE v` learns about removals too and ends with the
//! exact state; publishing the id again replaces its tombstone, so tombstones are bounded by
//! the number of distinct ids ever used.

use std::collections::{BTreeMap, HashMap};

use crate::error::Error;
use crate::map::NodeId;

/// A clue's state: its payload and node, or `None` once it was removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub version: u64,
    pub clue: Option<Clue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clue {
    pub payload: Vec<u8>,
    pub node: Option<NodeId>,
}

/// What a change did, for the reply, the message and replication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub id: Vec<u8>,
    pub version: u64,
    /// `None` for a removal.
    pub clue: Option<Clue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Board {
    entries: HashMap<Vec<u8>, Entry>,
    /// Version -> clue id, for reading changes in version order.
    by_version: BTreeMap<u64, Vec<u8>>,
    version: u64,
    live: usize,
}

/// The last version a board may take: versions are replied as Redis integers (`i64`), so a
/// board never goes past `i64::MAX` and a saved board claiming more is corrupt.
pub const MAX_VERSION: u64 = i64::MAX as u64;

/// A version condition: `IFVERSION v` (0: the clue must not exist).
pub type Expected = Option<u64>;

impl Board {
    pub fn new() -> Board {
        Board::default()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// Live clues (tombstones not counted).
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn removed(&self) -> usize {
        self.entries.len() - self.live
    }

    /// The current clue and its version, if it exists.
    pub fn clue(&self, id: &[u8]) -> Option<(u64, &Clue)> {
        let entry = self.entries.get(id)?;
        entry.clue.as_ref().map(|clue| (entry.version, clue))
    }

    /// The version a condition is checked against: 0 when the clue does not exist.
    pub fn clue_version(&self, id: &[u8]) -> u64 {
        self.clue(id).map_or(0, |(version, _)| version)
    }

    fn check(&self, id: &[u8], expected: Expected) -> Result<(), Error> {
        let current = self.clue_version(id);
        match expected {
            Some(v) if v != current => Err(Error::Stale { id: id.to_vec(), version: current }),
            _ => Ok(()),
        }
    }

    /// Stores a clue at the next board version.
    pub fn publish(&mut self, id: &[u8], clue: Clue, expected: Expected) -> Result<Change, Error> {
        self.check(id, expected)?;
        let version = self.next_version()?;
        Ok(self.apply(Change { id: id.to_vec(), version, clue: Some(clue) }))
    }

    /// Removes a clue at the next board version. A clue that does not exist cannot be removed.
    pub fn unpublish(&mut self, id: &[u8], expected: Expected) -> Result<Option<Change>, Error> {
        self.check(id, expected)?;
        if self.clue(id).is_none() {
            return Ok(None);
        }
        let version = self.next_version()?;
        Ok(Some(self.apply(Change { id: id.to_vec(), version, clue: None })))
    }

    fn next_version(&self) -> Result<u64, Error> {
        self.version.checked_add(1).filter(|&v| v <= MAX_VERSION).ok_or(Error::VersionExhausted)
    }

    /// Applies a change as decided elsewhere: by `publish`/`unpublish` here, or by the primary
    /// (replication and the AOF carry the change, not the command). The version must be newer
    /// than the board's; `replay` checks that.
    fn apply(&mut self, change: Change) -> Change {
        let entry = Entry { version: change.version, clue: change.clue.clone() };
        let was_live = match self.entries.insert(change.id.clone(), entry) {
            Some(old) => {
                self.by_version.remove(&old.version);
                old.clue.is_some()
            }
            None => false,
        };
        self.live = self.live + usize::from(change.clue.is_some()) - usize::from(was_live);
        self.by_version.insert(change.version, change.id.clone());
        self.version = change.version;
        change
    }

    /// Applies a change replicated from the primary. Refuses a version that is not newer, so a
    /// replayed stream can never move a board backwards.
    pub fn replay(&mut self, change: Change) -> Result<Change, Error> {
        if change.version <= self.version {
            return Err(Error::Stale { id: change.id, version: self.version });
        }
        if change.version > MAX_VERSION {
            return Err(Error::VersionExhausted);
        }
        Ok(self.apply(change))
    }

    /// Changes with a version greater than `since`, oldest first; tombstones included.
    pub fn since(&self, since: u64) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.by_version
            .range(since.saturating_add(1)..)
            .filter_map(|(_, id)| self.entries.get_key_value(id.as_slice()))
            .map(|(id, entry)| (id.as_slice(), entry))
    }

    /// Bytes of heap held, for `MEMORY USAGE` and `HUNT.BOARDINFO`. Counts the payloads and
    /// ids exactly and the hash and tree nodes by their usual size.
    pub fn memory(&self) -> usize {
        const PER_ENTRY: usize = 48 + 64 + 8 + 24 + 16; // hash slot, clue, tree node share, id copy
        std::mem::size_of::<Board>()
            + self
                .entries
                .iter()
                .map(|(id, e)| PER_ENTRY + 2 * id.len() + e.clue.as_ref().map_or(0, |c| c.payload.capacity()))
                .sum::<usize>()
    }

    /// Every entry in version order, tombstones included: what the codec saves.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.since(0)
    }

    /// Rebuilds a board from saved entries, checking that versions are unique and not newer
    /// than the board's.
    pub fn from_entries(version: u64, entries: Vec<(Vec<u8>, Entry)>) -> Result<Board, Error> {
        if version > MAX_VERSION {
            return Err(Error::Corrupt("board version past the largest a reply can carry".into()));
        }
        let mut board = Board { version: 0, ..Board::default() };
        for (id, entry) in entries {
            if entry.version == 0 || entry.version > version || board.by_version.contains_key(&entry.version) {
                return Err(Error::Corrupt("clue versions are not unique and within the board's".into()));
            }
            if board.entries.contains_key(&id) {
                return Err(Error::Corrupt("a clue id appears twice".into()));
            }
            board.live += usize::from(entry.clue.is_some());
            board.by_version.insert(entry.version, id.clone());
            board.entries.insert(id, entry);
        }
        board.version = version;
        Ok(board)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clue(payload: &str, node: Option<u64>) -> Clue {
        Clue { payload: payload.as_bytes().to_vec(), node }
    }

    #[test]
    fn each_change_takes_the_next_board_version() {
        let mut board = Board::new();
        assert_eq!(board.publish(b"a", clue("x", None), None).unwrap().version, 1);
        assert_eq!(board.publish(b"b", clue("y", Some(7)), Some(0)).unwrap().version, 2);
        assert_eq!(board.publish(b"a", clue("z", None), Some(1)).unwrap().version, 3);
        assert_eq!(board.clue(b"a"), Some((3, &clue("z", None))));
        assert_eq!((board.len(), board.version()), (2, 3));
    }

    #[test]
    fn a_stale_condition_changes_nothing() {
        let mut board = Board::new();
        board.publish(b"a", clue("x", None), None).unwrap();
        let before = board.clone();
        assert_eq!(board.publish(b"a", clue("y", None), Some(0)), Err(Error::Stale { id: b"a".to_vec(), version: 1 }));
        assert_eq!(board.unpublish(b"a", Some(5)), Err(Error::Stale { id: b"a".to_vec(), version: 1 }));
        assert_eq!(
            board.publish(b"new", clue("y", None), Some(3)),
            Err(Error::Stale { id: b"new".to_vec(), version: 0 })
        );
        assert_eq!(board, before);
    }

    #[test]
    fn since_lists_changes_in_version_order_with_removals() {
        let mut board = Board::new();
        board.publish(b"a", clue("1", None), None).unwrap();
        board.publish(b"b", clue("2", None), None).unwrap();
        board.publish(b"a", clue("3", None), None).unwrap();
        board.unpublish(b"b", None).unwrap();
        let seen: Vec<(&[u8], u64, bool)> = board.since(1).map(|(id, e)| (id, e.version, e.clue.is_some())).collect();
        assert_eq!(seen, vec![(&b"a"[..], 3, true), (&b"b"[..], 4, false)]);
        assert_eq!(board.since(4).count(), 0);
        assert_eq!((board.len(), board.removed()), (1, 1));
        assert_eq!(board.unpublish(b"b", None), Ok(None));
    }

    #[test]
    fn replay_never_moves_backwards() {
        let mut board = Board::new();
        board.replay(Change { id: b"a".to_vec(), version: 10, clue: Some(clue("x", None)) }).unwrap();
        assert!(board.replay(Change { id: b"a".to_vec(), version: 10, clue: None }).is_err());
        assert_eq!(board.publish(b"a", clue("y", None), Some(10)).unwrap().version, 11);
    }

    #[test]
    fn entries_round_trip() {
        let mut board = Board::new();
        board.publish(b"a", clue("1", Some(1)), None).unwrap();
        board.publish(b"b", clue("", None), None).unwrap();
        board.unpublish(b"a", None).unwrap();
        let saved: Vec<(Vec<u8>, Entry)> = board.entries().map(|(id, e)| (id.to_vec(), e.clone())).collect();
        assert_eq!(Board::from_entries(board.version(), saved.clone()).unwrap(), board);
        assert!(Board::from_entries(1, saved).is_err());
    }

    #[test]
    fn versions_stop_at_the_largest_reply_integer() {
        assert!(Board::from_entries(MAX_VERSION + 1, Vec::new()).is_err(), "found by the decode_board fuzzer");
        let mut board = Board::new();
        board.replay(Change { id: b"a".to_vec(), version: MAX_VERSION, clue: Some(clue("x", None)) }).unwrap();
        let before = board.clone();
        assert_eq!(board.publish(b"b", clue("y", None), None), Err(Error::VersionExhausted));
        assert_eq!(board.unpublish(b"a", None), Err(Error::VersionExhausted));
        assert_eq!(board, before);
        let mut fresh = Board::new();
        assert_eq!(
            fresh.replay(Change { id: b"a".to_vec(), version: MAX_VERSION + 1, clue: None }),
            Err(Error::VersionExhausted)
        );
    }
}
