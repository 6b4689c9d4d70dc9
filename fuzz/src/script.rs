//! The byte format of a `commands` input: a configuration, then commands with their argument
//! vectors, each argument drawn from a small alphabet that libFuzzer's byte mutations move
//! through meaningfully (numbers, keywords, ids of nodes and clues that exist, raw bytes).
//!
//! ```text
//! byte 0   max-batch (bits 0-2), max-nodes (bits 3-5), preset map (bits 6-7)
//! byte 1   max-clue-id (bits 0-1), max-payload (bits 2-3), inline budget (bits 4-6),
//!          max-settled small (bit 7)
//! then     command byte, argument count byte, one token per argument (see `Arg`)
//! ```

pub const MAX_BATCH: [usize; 8] = [1, 2, 3, 4, 8, 64, 1000, 1_000_000];
pub const MAX_NODES: [usize; 8] = [1, 2, 3, 8, 64, 1000, 100_000, 100_000_000];
pub const MAX_CLUE_ID: [usize; 4] = [1, 4, 16, 512];
pub const MAX_PAYLOAD: [usize; 4] = [0, 4, 64, 65536];
pub const INLINE_BUDGET: [usize; 8] = [0, 1, 2, 5, 20, 100, 500, 1_000_000];
pub const MAX_SETTLED: [usize; 2] = [100_000_000, 50];

/// Command names, in the order of the command byte (modulo their number).
pub const COMMANDS: [&str; 21] = [
    "ADDEDGES",
    "SETWEIGHTS",
    "CLOSE",
    "OPEN",
    "NODES",
    "LANDMARKS",
    "MAPINFO",
    "PATH",
    "PATHTOCLUE",
    "REACH",
    "MATRIX",
    "PUBLISH",
    "UNPUBLISH",
    "REPLAY",
    "CLUE",
    "CLUES",
    "BOARDINFO",
    "RESTORE",
    "SCAN",
    // Not commands: DEL of both keys, and a save/load cycle of both (RDB, replica sync).
    "DEL",
    "RELOAD",
];

/// Argument tokens 100..=179.
pub const TOKENS: [&[u8]; 63] = [
    b"CLASS",
    b"MASK",
    b"AVOID",
    b"MAXCOST",
    b"ALGO",
    b"AUTO",
    b"DIJKSTRA",
    b"BIDIR",
    b"ASTAR",
    b"ALT",
    b"FROM",
    b"TO",
    b"LIMIT",
    b"AT",
    b"IFVERSION",
    b"SINCE",
    b"PUBLISH",
    b"UNPUBLISH",
    b"COUNT",
    b"-",
    b"-0",
    b"-1",
    b"+1",
    b"007",
    b"100",
    b"255",
    b"1000",
    b"65535",
    b"65536",
    b"1000000",
    b"4000000000",
    b"4294967295",
    b"4294967296",
    b"9223372036854775806",
    b"9223372036854775807",
    b"9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999999999999",
    b"180",
    b"-180",
    b"180.0001",
    b"90",
    b"-90",
    b"90.5",
    b"12.4964",
    b"41.9028",
    b"-73.985",
    b"1e308",
    b"1e-308",
    b"nan",
    b"inf",
    b"-inf",
    b"0.0",
    b"",
    b"mask",
    b"avoid",
    b"alt",
    b" 1",
    b"1 ",
    b"HUNTMAP\0",
    b"HUNTBRD\0",
    b"\0",
];

/// One argument, before it is turned into bytes against the current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// 0..=99: the number in decimal.
    Small(u8),
    /// 100..=179: `TOKENS[i % len]`.
    Token(u8),
    /// 180..=219: the id of an existing node, by dense index modulo the node count.
    Node(u8),
    /// 220..=239: the id of an existing clue (or tombstone), by position in version order.
    Clue(u8),
    /// 240..=251: raw bytes, announced by a length byte.
    Raw(Vec<u8>),
    /// 252: any 64-bit number in decimal, from the next 8 bytes.
    Big(u64),
    /// 253: a number of degrees, from the next byte.
    Degrees(u8),
    /// 254: the current map's blob; 255: the current board's blob.
    MapBlob,
    BoardBlob,
}

pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn bytes(&mut self, len: usize) -> &'a [u8] {
        let end = (self.pos + len).min(self.data.len());
        let out = &self.data[self.pos..end];
        self.pos = end;
        out
    }

    pub fn arg(&mut self) -> Option<Arg> {
        let t = self.byte()?;
        Some(match t {
            0..=99 => Arg::Small(t),
            100..=179 => Arg::Token(t - 100),
            180..=219 => Arg::Node(t - 180),
            220..=239 => Arg::Clue(t - 220),
            240..=251 => {
                let len = self.byte().unwrap_or(0) as usize;
                Arg::Raw(self.bytes(len).to_vec())
            }
            252 => {
                let mut raw = [0u8; 8];
                let got = self.bytes(8);
                raw[..got.len()].copy_from_slice(got);
                Arg::Big(u64::from_le_bytes(raw))
            }
            253 => Arg::Degrees(self.byte().unwrap_or(0)),
            254 => Arg::MapBlob,
            255 => Arg::BoardBlob,
        })
    }
}

/// Writes inputs in the same format, for the seed corpus and for turning a finding into a
/// readable regression test.
#[derive(Default)]
pub struct Writer {
    pub out: Vec<u8>,
}

impl Writer {
    pub fn new(config: [u8; 2]) -> Writer {
        Writer { out: config.to_vec() }
    }

    pub fn command(&mut self, name: &str, args: &[Arg]) -> &mut Writer {
        let index = COMMANDS.iter().position(|&c| c == name).expect("a known command");
        self.out.push(index as u8);
        self.out.push(args.len() as u8);
        for arg in args {
            match arg {
                Arg::Small(n) => self.out.push(*n),
                Arg::Token(i) => self.out.push(100 + i),
                Arg::Node(i) => self.out.push(180 + i),
                Arg::Clue(i) => self.out.push(220 + i),
                Arg::Raw(bytes) => {
                    self.out.push(240);
                    self.out.push(bytes.len() as u8);
                    self.out.extend_from_slice(bytes);
                }
                Arg::Big(n) => {
                    self.out.push(252);
                    self.out.extend_from_slice(&n.to_le_bytes());
                }
                Arg::Degrees(d) => {
                    self.out.push(253);
                    self.out.push(*d);
                }
                Arg::MapBlob => self.out.push(254),
                Arg::BoardBlob => self.out.push(255),
            }
        }
        self
    }

    /// Arguments written as words: a number below 100 is `Small`, a known token is `Token`,
    /// anything else is `Raw`.
    pub fn words(&mut self, name: &str, words: &str) -> &mut Writer {
        let args: Vec<Arg> = words.split_whitespace().map(word).collect();
        self.command(name, &args)
    }
}

pub fn word(w: &str) -> Arg {
    if let Ok(n) = w.parse::<u8>()
        && n < 100
        && n.to_string() == w
    {
        return Arg::Small(n);
    }
    match TOKENS.iter().position(|t| *t == w.as_bytes()) {
        Some(i) => Arg::Token(i as u8),
        None => Arg::Raw(w.as_bytes().to_vec()),
    }
}
