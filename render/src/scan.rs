//! Reading a whole map from the server, a page at a time, with `HUNT.SCAN`.

use std::collections::HashMap;

/// One node of a `HUNT.SCAN` page: id, longitude, latitude (nil without coordinates) and its
/// out-edges as `[to, weight, class, closed]`.
pub type ScanNode = (u64, Option<f64>, Option<f64>, Vec<(u64, u64, u64, u64)>);

/// A `HUNT.SCAN` reply: the next cursor (0 at the end) and the page's nodes.
pub type ScanPage = (u64, Vec<ScanNode>);

/// A directed edge as drawn: its ends and whether it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: u64,
    pub to: u64,
    pub closed: bool,
}

/// What the picture needs of a map: where the located nodes are, and every edge.
#[derive(Debug, Default)]
pub struct RoadMap {
    /// Longitude and latitude, in degrees, of each node that has coordinates.
    pub located: HashMap<u64, (f64, f64)>,
    /// How many nodes the map has, with or without coordinates.
    pub nodes: usize,
    pub edges: Vec<Edge>,
}

impl RoadMap {
    pub fn at(&self, node: u64) -> Option<(f64, f64)> {
        self.located.get(&node).copied()
    }

    pub fn unlocated(&self) -> usize {
        self.nodes - self.located.len()
    }
}

/// Reads every page, `page(cursor)` being one `HUNT.SCAN key cursor COUNT n` call, from cursor 0
/// until the server hands back 0.
pub fn read_map(mut page: impl FnMut(u64) -> Result<ScanPage, String>) -> Result<RoadMap, String> {
    let mut map = RoadMap::default();
    let mut cursor = 0;
    loop {
        let (next, nodes) = page(cursor)?;
        for (id, lon, lat, edges) in nodes {
            map.nodes += 1;
            if let (Some(lon), Some(lat)) = (lon, lat) {
                map.located.insert(id, (lon, lat));
            }
            map.edges.extend(edges.into_iter().map(|(to, _weight, _class, closed)| Edge {
                from: id,
                to,
                closed: closed != 0,
            }));
        }
        if next == 0 {
            return Ok(map);
        }
        // The cursor is a position in the map's node order and only moves forward; a server that
        // answered otherwise would keep this loop going for ever.
        if next <= cursor {
            return Err(format!("HUNT.SCAN went from cursor {cursor} back to {next}"));
        }
        cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scan served from fixed pages keyed by cursor, recording the cursors asked for.
    fn serve(pages: Vec<(u64, ScanPage)>) -> (Result<RoadMap, String>, Vec<u64>) {
        let mut asked = Vec::new();
        let map = read_map(|cursor| {
            asked.push(cursor);
            pages.iter().find(|(at, _)| *at == cursor).map(|(_, page)| page.clone()).ok_or(format!("no page {cursor}"))
        });
        (map, asked)
    }

    #[test]
    fn every_page_is_read_until_the_cursor_is_zero_again() {
        let (map, asked) = serve(vec![
            (
                0,
                (
                    2,
                    vec![
                        (1, Some(12.5), Some(41.9), vec![(2, 4, 0, 0), (3, 20, 0, 0)]),
                        (2, None, None, vec![(3, 5, 0, 1)]),
                    ],
                ),
            ),
            (2, (0, vec![(3, Some(12.6), Some(42.0), vec![]), (4, Some(12.7), None, vec![(1, 1, 2, 0)])])),
        ]);
        let map = map.unwrap();
        assert_eq!(asked, vec![0, 2]);
        assert_eq!(map.nodes, 4);
        assert_eq!(map.unlocated(), 2, "node 2 has no coordinates, node 4 only half of them");
        assert_eq!(map.at(1), Some((12.5, 41.9)));
        assert_eq!(map.at(4), None);
        assert_eq!(map.edges.len(), 4);
        assert_eq!(map.edges[2], Edge { from: 2, to: 3, closed: true });
        assert!(!map.edges[3].closed);
    }

    #[test]
    fn a_missing_key_is_one_empty_page() {
        let (map, asked) = serve(vec![(0, (0, vec![]))]);
        let map = map.unwrap();
        assert_eq!((map.nodes, map.edges.len(), asked), (0, 0, vec![0]));
    }

    #[test]
    fn a_cursor_that_does_not_move_forward_stops_the_scan() {
        let (map, asked) = serve(vec![(0, (5, vec![])), (5, (5, vec![]))]);
        assert_eq!(map.unwrap_err(), "HUNT.SCAN went from cursor 5 back to 5");
        assert_eq!(asked, vec![0, 5]);
    }

    #[test]
    fn a_failing_page_fails_the_read() {
        let (map, _) = serve(vec![(0, (7, vec![]))]);
        assert_eq!(map.unwrap_err(), "no page 7");
    }
}
