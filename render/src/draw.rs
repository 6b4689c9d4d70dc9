//! Painting the picture with plotters: every edge thin grey, closures red, the reach set as nodes
//! coloured from near to far, the path thick blue with its start and end marked. No text, so no
//! font library is needed.

use std::collections::HashSet;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::projection::Projection;
use crate::scan::RoadMap;

const ROAD: RGBColor = RGBColor(190, 190, 190);
const CLOSED: RGBColor = RGBColor(220, 20, 20);
const PATH: RGBColor = RGBColor(20, 90, 230);
const START: RGBColor = RGBColor(0, 170, 60);
const END: RGBColor = RGBColor(0, 0, 0);
const NEAR: RGBColor = RGBColor(255, 160, 0);
const FAR: RGBColor = RGBColor(120, 0, 170);
/// Pixels kept free around the map, so that markers at its edge are whole.
const MARGIN: u32 = 16;

/// What goes on the map.
pub struct Overlay {
    /// Node ids from start to end.
    pub path: Option<Vec<u64>>,
    /// Nodes and their costs.
    pub reach: Option<Vec<(u64, u64)>>,
    pub closures: bool,
}

/// What could be drawn: counts for the tool's report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drawn {
    /// Roads drawn; a pair of opposite edges is one road.
    pub roads: usize,
    /// Edges left out because an end has no coordinates.
    pub edges_unlocated: usize,
    pub closures: usize,
    pub reach_nodes: usize,
    pub path_points: usize,
    /// Path or reach nodes left out because they have no coordinates.
    pub overlay_unlocated: usize,
}

/// The output formats, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    pub fn of(file: &Path) -> Result<Format, String> {
        match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(format!("{}: the output must end in .png or .svg", file.display())),
        }
    }
}

/// Draws `map` with `overlay` into `file` (PNG or SVG by its extension), `size` in pixels.
pub fn draw(file: &Path, size: (u32, u32), map: &RoadMap, overlay: &Overlay) -> Result<Drawn, String> {
    let projection = Projection::fit(map.located.values().copied(), size.0, size.1, MARGIN)
        .ok_or("no node of the map has coordinates (HUNT.NODES, or hunt-load --coordinates): nothing to draw")?;
    let failed = |e: String| format!("cannot draw {}: {e}", file.display());
    match Format::of(file)? {
        Format::Png => {
            let root = BitMapBackend::new(file, size).into_drawing_area();
            let drawn = paint(&root, &projection, map, overlay).map_err(|e| failed(e.to_string()))?;
            root.present().map_err(|e| failed(e.to_string()))?;
            Ok(drawn)
        }
        Format::Svg => {
            let root = SVGBackend::new(file, size).into_drawing_area();
            let drawn = paint(&root, &projection, map, overlay).map_err(|e| failed(e.to_string()))?;
            root.present().map_err(|e| failed(e.to_string()))?;
            Ok(drawn)
        }
    }
}

type Painted<DB> = Result<Drawn, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    projection: &Projection,
    map: &RoadMap,
    overlay: &Overlay,
) -> Painted<DB> {
    let mut drawn = Drawn::default();
    let pixel = |node: u64| map.at(node).map(|at| projection.pixel(at));
    root.fill(&WHITE)?;

    // Roads, each pair of opposite edges once; closed edges on top later when closures are shown.
    let mut seen = HashSet::new();
    for edge in &map.edges {
        let (Some(a), Some(b)) = (pixel(edge.from), pixel(edge.to)) else {
            drawn.edges_unlocated += 1;
            continue;
        };
        if (overlay.closures && edge.closed) || !seen.insert((edge.from.min(edge.to), edge.from.max(edge.to))) {
            continue;
        }
        root.draw(&PathElement::new(vec![a, b], ROAD.stroke_width(1)))?;
        drawn.roads += 1;
    }

    if let Some(reach) = &overlay.reach {
        let farthest = reach.iter().map(|&(_, cost)| cost).max().unwrap_or(0).max(1);
        // Far nodes first, so the nearer ones stay visible on top of them.
        for &(node, cost) in reach.iter().rev() {
            let Some(at) = pixel(node) else {
                drawn.overlay_unlocated += 1;
                continue;
            };
            let colour = blend(NEAR, FAR, cost as f64 / farthest as f64);
            root.draw(&Circle::new(at, 3, colour.filled()))?;
            drawn.reach_nodes += 1;
        }
    }

    if overlay.closures {
        for edge in map.edges.iter().filter(|e| e.closed) {
            if let (Some(a), Some(b)) = (pixel(edge.from), pixel(edge.to)) {
                root.draw(&PathElement::new(vec![a, b], CLOSED.stroke_width(3)))?;
                drawn.closures += 1;
            }
        }
    }

    if let Some(path) = &overlay.path {
        let points: Vec<(i32, i32)> = path.iter().filter_map(|&node| pixel(node)).collect();
        drawn.overlay_unlocated += path.len() - points.len();
        drawn.path_points = points.len();
        root.draw(&PathElement::new(points.clone(), PATH.stroke_width(4)))?;
        for (at, colour) in [(points.first(), START), (points.last(), END)] {
            if let Some(&at) = at {
                root.draw(&Circle::new(at, 8, WHITE.filled()))?;
                root.draw(&Circle::new(at, 6, colour.filled()))?;
            }
        }
    }
    Ok(drawn)
}

/// The colour a fraction `t` (0 to 1) of the way from `a` to `b`.
fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(Format::of(Path::new("a/path.png")), Ok(Format::Png));
        assert_eq!(Format::of(Path::new("MAP.SVG")), Ok(Format::Svg));
        assert!(Format::of(Path::new("map.jpg")).unwrap_err().contains(".png or .svg"));
        assert!(Format::of(Path::new("map")).is_err());
    }

    #[test]
    fn blending_goes_from_the_first_colour_to_the_second() {
        assert_eq!(blend(NEAR, FAR, 0.0), NEAR);
        assert_eq!(blend(NEAR, FAR, 1.0), FAR);
        assert_eq!(blend(RGBColor(0, 0, 0), RGBColor(200, 100, 50), 0.5), RGBColor(100, 50, 25));
    }
}
