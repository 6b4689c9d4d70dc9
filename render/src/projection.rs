//! From degrees to pixels: an equirectangular projection, longitudes shrunk by the cosine of the
//! middle latitude so that a city keeps its shape, fitted and centred in the picture.

/// Places longitude/latitude pairs on a `width` x `height` picture with `margin` pixels free on
/// every side; north is up.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    west: f64,
    north: f64,
    /// cos(middle latitude): how much shorter a degree of longitude is than one of latitude.
    shrink: f64,
    /// Pixels per degree of latitude.
    scale: f64,
    left: f64,
    top: f64,
}

impl Projection {
    /// The projection that fits every point, or `None` when there are no points.
    pub fn fit(
        points: impl IntoIterator<Item = (f64, f64)>,
        width: u32,
        height: u32,
        margin: u32,
    ) -> Option<Projection> {
        let mut points = points.into_iter();
        let (lon, lat) = points.next()?;
        let (mut west, mut east, mut south, mut north) = (lon, lon, lat, lat);
        for (lon, lat) in points {
            west = west.min(lon);
            east = east.max(lon);
            south = south.min(lat);
            north = north.max(lat);
        }
        // Near a pole the cosine goes to 0; a floor keeps the scale finite.
        let shrink = ((south + north) / 2.0).to_radians().cos().max(0.01);
        let (across, down) = ((east - west) * shrink, north - south);
        let room_x = f64::from(width.saturating_sub(2 * margin).max(1));
        let room_y = f64::from(height.saturating_sub(2 * margin).max(1));
        // A single point (or a line of them) has no extent to fit along some axis.
        let scale = match (across > 0.0, down > 0.0) {
            (true, true) => (room_x / across).min(room_y / down),
            (true, false) => room_x / across,
            (false, true) => room_y / down,
            (false, false) => 1.0,
        };
        let left = (f64::from(width) - across * scale) / 2.0;
        let top = (f64::from(height) - down * scale) / 2.0;
        Some(Projection { west, north, shrink, scale, left, top })
    }

    /// The pixel of a point, (0, 0) being the top left corner.
    pub fn pixel(&self, (lon, lat): (f64, f64)) -> (i32, i32) {
        let x = self.left + (lon - self.west) * self.shrink * self.scale;
        let y = self.top + (self.north - lat) * self.scale;
        (x.round() as i32, y.round() as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corners_of_a_square_at_the_equator_fill_a_square_picture() {
        let square = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
        let p = Projection::fit(square, 120, 120, 10).unwrap();
        assert_eq!(p.pixel((0.0, 1.0)), (10, 10), "north-west is top left");
        assert_eq!(p.pixel((1.0, 0.0)), (110, 110), "south-east is bottom right");
    }

    #[test]
    fn at_sixty_degrees_north_a_degree_of_longitude_is_half_as_wide() {
        // Two degrees of longitude and one of latitude around 60N: a square on the ground.
        let box_ = [(10.0, 59.5), (12.0, 60.5)];
        let p = Projection::fit(box_, 200, 100, 0).unwrap();
        let (x0, y0) = p.pixel((10.0, 60.5));
        let (x1, y1) = p.pixel((12.0, 59.5));
        let (w, h) = (x1 - x0, y1 - y0);
        assert!((w - h).abs() <= 1, "a square on the ground is {w}x{h} pixels");
        assert_eq!(h, 100, "the taller side fills the picture");
        assert_eq!(x0, 50, "centred across: (200 - 100) / 2");
    }

    #[test]
    fn a_wide_map_is_centred_down_the_picture() {
        let p = Projection::fit([(0.0, 0.0), (4.0, 1.0)], 400, 400, 0).unwrap();
        assert_eq!(p.pixel((0.0, 1.0)), (0, 150));
        assert_eq!(p.pixel((4.0, 0.0)), (400, 250));
    }

    #[test]
    fn a_single_point_lands_in_the_middle() {
        let p = Projection::fit([(12.5, 41.9)], 300, 200, 20).unwrap();
        assert_eq!(p.pixel((12.5, 41.9)), (150, 100));
    }

    #[test]
    fn no_points_no_projection() {
        assert!(Projection::fit(std::iter::empty(), 100, 100, 0).is_none());
    }
}
