//! Reading command arguments. The Redis layer hands over raw byte strings; everything about
//! their meaning (numbers, ranges, keywords, arity) is decided here, so it is tested and fuzzed
//! without Redis.

use crate::error::Error;
use crate::map::{Cost, MAX_NODE_ID, NodeId, Weight};

pub struct Args<'a> {
    items: &'a [&'a [u8]],
    pos: usize,
}

impl<'a> Args<'a> {
    pub fn new(items: &'a [&'a [u8]]) -> Args<'a> {
        Args { items, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.items.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn next(&mut self) -> Result<&'a [u8], Error> {
        let item = self.items.get(self.pos).ok_or(Error::WrongArity)?;
        self.pos += 1;
        Ok(item)
    }

    /// Consumes the next argument if it is `keyword` (case-insensitive).
    pub fn keyword(&mut self, keyword: &str) -> bool {
        let hit = self.items.get(self.pos).is_some_and(|item| item.eq_ignore_ascii_case(keyword.as_bytes()));
        self.pos += usize::from(hit);
        hit
    }

    /// An unsigned integer in `min..=max`.
    pub fn int(&mut self, what: &'static str, min: u64, max: u64) -> Result<u64, Error> {
        parse_int(self.next()?, what, min, max)
    }

    pub fn node_id(&mut self) -> Result<NodeId, Error> {
        self.int("node id", 0, MAX_NODE_ID)
    }

    pub fn weight(&mut self) -> Result<Weight, Error> {
        Ok(self.int("weight", 0, Weight::MAX as u64)? as Weight)
    }

    pub fn cost(&mut self, what: &'static str) -> Result<Cost, Error> {
        self.int(what, 0, i64::MAX as u64)
    }

    /// A decimal number of degrees in `-limit..=limit`.
    pub fn degrees(&mut self, what: &'static str, limit: f64) -> Result<f64, Error> {
        let raw = self.next()?;
        let value: f64 = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|v: &f64| v.is_finite())
            .ok_or(Error::NotNumber { what })?;
        if value.abs() > limit {
            return Err(Error::DegreesOutOfRange { what, limit: limit as u32 });
        }
        Ok(value)
    }

    /// The rest of the arguments as items of `per_item` arguments each: how many there are.
    /// None, or a partial item, is a wrong arity; more than `max_batch` is refused.
    pub fn batch(&self, per_item: usize, max_batch: usize) -> Result<usize, Error> {
        if self.is_empty() || self.remaining() % per_item != 0 {
            return Err(Error::WrongArity);
        }
        let items = self.remaining() / per_item;
        if items > max_batch {
            return Err(Error::TooManyItems { limit: max_batch });
        }
        Ok(items)
    }

    /// A count that announces that many following arguments: it cannot exceed what is left,
    /// so a forged count never makes anyone allocate for it.
    pub fn count(&mut self, what: &'static str, per_item: usize) -> Result<usize, Error> {
        let count = self.int(what, 0, u32::MAX as u64)? as usize;
        if count.saturating_mul(per_item) > self.remaining() {
            return Err(Error::Syntax);
        }
        Ok(count)
    }
}

pub fn parse_int(raw: &[u8], what: &'static str, min: u64, max: u64) -> Result<u64, Error> {
    let out_of_range = Error::OutOfRange { what, min, max };
    let (negative, digits) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, raw),
    };
    if digits.is_empty() || digits.len() > 1000 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::NotInteger { what });
    }
    if negative {
        return if digits.iter().all(|&d| d == b'0') && min == 0 { Ok(0) } else { Err(out_of_range) };
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value.checked_mul(10).and_then(|v| v.checked_add((d - b'0') as u64)).ok_or(out_of_range.clone())?;
    }
    if value < min || value > max { Err(out_of_range) } else { Ok(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int(b"42", "x", 0, 100), Ok(42));
        assert_eq!(parse_int(b"-0", "x", 0, 100), Ok(0));
        assert!(matches!(parse_int(b"", "x", 0, 9), Err(Error::NotInteger { .. })));
        assert!(matches!(parse_int(b"4a", "x", 0, 9), Err(Error::NotInteger { .. })));
        assert!(matches!(parse_int(b"+4", "x", 0, 9), Err(Error::NotInteger { .. })));
        assert!(matches!(parse_int(b" 4", "x", 0, 9), Err(Error::NotInteger { .. })));
        assert!(matches!(parse_int(b"-4", "x", 0, 9), Err(Error::OutOfRange { .. })));
        assert!(matches!(parse_int(b"10", "x", 0, 9), Err(Error::OutOfRange { .. })));
        assert!(matches!(parse_int(b"99999999999999999999999", "x", 0, 9), Err(Error::OutOfRange { .. })));
        assert_eq!(parse_int(b"9223372036854775807", "x", 0, MAX_NODE_ID), Ok(MAX_NODE_ID));
        assert!(parse_int(b"9223372036854775808", "x", 0, MAX_NODE_ID).is_err());
    }

    #[test]
    fn a_count_larger_than_the_arguments_is_refused() {
        let items: Vec<&[u8]> = vec![b"4000000000", b"1"];
        assert_eq!(Args::new(&items).count("count", 1), Err(Error::Syntax));
    }
}
