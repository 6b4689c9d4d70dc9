//! The arguments of each HUNT command, parsed into typed requests. Arguments start after the
//! key (or keys); the Redis layer strips the command name and keys.

use crate::args::Args;
use crate::error::Error;
use crate::map::{ALL_CLASSES, Cost, EdgeSpec, MAX_CLASS, Map, NodeId};
use crate::search::Query;

/// `HUNT.ADDEDGES map [CLASS c] from to weight [from to weight ...]`
#[derive(Debug, PartialEq)]
pub struct AddEdges {
    pub class: u8,
    pub edges: Vec<EdgeSpec>,
}

pub fn add_edges(raw: &[&[u8]], max_batch: usize) -> Result<AddEdges, Error> {
    let mut args = Args::new(raw);
    let class = if args.keyword("CLASS") {
        args.int("class", 0, MAX_CLASS as u64)? as u8
    } else {
        0
    };
    Ok(AddEdges {
        class,
        edges: edge_list(&mut args, max_batch)?,
    })
}

/// `from to weight` triples up to the end of the arguments.
pub fn edge_list(args: &mut Args, max_batch: usize) -> Result<Vec<EdgeSpec>, Error> {
    if args.is_empty() || args.remaining() % 3 != 0 {
        return Err(Error::WrongArity);
    }
    if args.remaining() / 3 > max_batch {
        return Err(Error::TooManyItems { limit: max_batch });
    }
    let mut edges = Vec::with_capacity(args.remaining() / 3);
    while !args.is_empty() {
        edges.push(EdgeSpec {
            from: args.node_id()?,
            to: args.node_id()?,
            weight: args.weight()?,
        });
    }
    Ok(edges)
}

/// The options every query takes: `MASK m`, `AVOID count node ...`, `MAXCOST c`.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub mask: u16,
    pub avoid: Vec<NodeId>,
    pub max_cost: Cost,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mask: ALL_CLASSES,
            avoid: Vec::new(),
            max_cost: Cost::MAX,
        }
    }
}

impl Options {
    /// Reads options until the arguments end. Each may be given once.
    pub fn parse(args: &mut Args) -> Result<Options, Error> {
        let mut options = Options::default();
        let mut seen = [false; 3];
        while !args.is_empty() {
            let which = if args.keyword("MASK") {
                options.mask = args.int("mask", 0, u16::MAX as u64)? as u16;
                0
            } else if args.keyword("AVOID") {
                let count = args.count("avoid count", 1)?;
                options.avoid = (0..count)
                    .map(|_| args.node_id())
                    .collect::<Result<_, _>>()?;
                1
            } else if args.keyword("MAXCOST") {
                options.max_cost = args.cost("maxcost")?;
                2
            } else {
                return Err(Error::Syntax);
            };
            if std::mem::replace(&mut seen[which], true) {
                return Err(Error::Syntax);
            }
        }
        Ok(options)
    }

    /// The search query for a map: avoided ids that are not in the map cannot be entered
    /// anyway and are dropped.
    pub fn query(&self, map: &Map) -> Query {
        Query {
            mask: self.mask,
            avoid: self.avoid.iter().filter_map(|&id| map.node(id)).collect(),
            max_cost: self.max_cost,
        }
    }
}

/// `HUNT.PATH map from to [options]`
#[derive(Debug, PartialEq)]
pub struct Path {
    pub from: NodeId,
    pub to: NodeId,
    pub options: Options,
}

pub fn path(raw: &[&[u8]]) -> Result<Path, Error> {
    let mut args = Args::new(raw);
    let from = args.node_id()?;
    let to = args.node_id()?;
    Ok(Path {
        from,
        to,
        options: Options::parse(&mut args)?,
    })
}

/// Commands whose only arguments are the key: checks that nothing else was given.
pub fn no_arguments(raw: &[&[u8]]) -> Result<(), Error> {
    if raw.is_empty() {
        Ok(())
    } else {
        Err(Error::WrongArity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<&[u8]> {
        s.split_whitespace().map(str::as_bytes).collect()
    }

    #[test]
    fn add_edges_reads_triples_and_class() {
        let parsed = add_edges(&argv("CLASS 3 1 2 10 2 1 11"), 100).unwrap();
        assert_eq!(parsed.class, 3);
        assert_eq!(
            parsed.edges,
            vec![
                EdgeSpec {
                    from: 1,
                    to: 2,
                    weight: 10
                },
                EdgeSpec {
                    from: 2,
                    to: 1,
                    weight: 11
                }
            ]
        );
        assert_eq!(add_edges(&argv("1 2"), 100), Err(Error::WrongArity));
        assert_eq!(add_edges(&argv(""), 100), Err(Error::WrongArity));
        assert_eq!(
            add_edges(&argv("CLASS 16 1 2 3"), 100),
            Err(Error::OutOfRange {
                what: "class",
                min: 0,
                max: 15
            })
        );
        assert!(matches!(
            add_edges(&argv("1 2 4294967296"), 100),
            Err(Error::OutOfRange { what: "weight", .. })
        ));
        assert!(matches!(
            add_edges(&argv("1 -2 4"), 100),
            Err(Error::OutOfRange {
                what: "node id",
                ..
            })
        ));
        assert_eq!(
            add_edges(&argv("1 2 3 4 5 6"), 1),
            Err(Error::TooManyItems { limit: 1 })
        );
    }

    #[test]
    fn path_reads_options_once_each() {
        let parsed = path(&argv("1 2 mask 5 AVOID 2 7 8 MAXCOST 100")).unwrap();
        assert_eq!(
            parsed.options,
            Options {
                mask: 5,
                avoid: vec![7, 8],
                max_cost: 100
            }
        );
        assert_eq!(path(&argv("1 2 MASK 1 MASK 2")), Err(Error::Syntax));
        assert_eq!(path(&argv("1 2 AVOID 3 7")), Err(Error::Syntax));
        assert_eq!(path(&argv("1 2 FOO")), Err(Error::Syntax));
        assert_eq!(path(&argv("1")), Err(Error::WrongArity));
    }
}
