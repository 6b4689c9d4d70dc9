//! Coordinates and the A* lower bound they give.
//!
//! Each node with coordinates is stored as a point on the unit sphere (x, y, z as `f32`).
//! The straight-line (chord) distance between two such points is a metric, and
//! `ratio` is the smallest weight per unit of chord over every edge whose ends both have
//! coordinates. So every edge costs at least `ratio * chord(u, v)`, and by the triangle
//! inequality `ratio * chord(v, t)` never exceeds the cost of any path from `v` to `t`: an
//! admissible and consistent A* potential, whatever the weights are, as long as `ratio` is kept
//! at or below the true minimum (it is lowered on every weight change that needs it).

use crate::map::Node;

/// No coordinates: a NaN point.
pub const NONE: [f32; 3] = [f32::NAN; 3];

/// Takes a little off the ratio, so that float rounding can never make the bound exceed a cost.
const SAFETY: f64 = 1.0 - 1e-6;

pub fn point(lon_degrees: f64, lat_degrees: f64) -> [f32; 3] {
    let (lon, lat) = (lon_degrees.to_radians(), lat_degrees.to_radians());
    [(lat.cos() * lon.cos()) as f32, (lat.cos() * lon.sin()) as f32, lat.sin() as f32]
}

/// Back to degrees (longitude, latitude), for replies.
pub fn degrees(p: [f32; 3]) -> (f64, f64) {
    let [x, y, z] = p.map(f64::from);
    (y.atan2(x).to_degrees(), z.atan2((x * x + y * y).sqrt()).to_degrees())
}

pub fn has(p: &[f32; 3]) -> bool {
    !p[0].is_nan()
}

#[inline]
pub fn chord(a: &[f32; 3], b: &[f32; 3]) -> f64 {
    let d = [a[0] as f64 - b[0] as f64, a[1] as f64 - b[1] as f64, a[2] as f64 - b[2] as f64];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}

/// The scale for one edge: its weight per unit of chord (infinite when the edge gives no
/// constraint: an end without coordinates or two ends at one point).
pub fn edge_ratio(weight: u32, a: &[f32; 3], b: &[f32; 3]) -> f64 {
    let c = chord(a, b);
    if !has(a) || !has(b) || c == 0.0 { f64::INFINITY } else { weight as f64 / c * SAFETY }
}

/// The A* potential towards one target.
pub struct Bound<'a> {
    pub points: &'a [[f32; 3]],
    pub target: [f32; 3],
    pub ratio: f64,
}

impl Bound<'_> {
    #[inline]
    pub fn at(&self, v: Node) -> u64 {
        (chord(&self.points[v as usize], &self.target) * self.ratio) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_to_degrees() {
        let (lon, lat) = degrees(point(-73.985, 40.748));
        assert!((lon + 73.985).abs() < 1e-4 && (lat - 40.748).abs() < 1e-4);
    }
}
