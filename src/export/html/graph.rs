//! The dependency graph as inline SVG, laid out in layers by the `layout-rs` crate (a
//! Graphviz-style layered layout in Rust) from the same DOT that `blastradius graph`
//! writes, with the nodes that failed in a run filled.

use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

use crate::export::diagram::dot;
use crate::model::{Model, NodeId};

/// The most nodes drawn: beyond it a page cannot show the graph legibly, and the layout's
/// crossing reduction takes seconds (220 nodes: about 2 s) to minutes.
pub const MOST_NODES: usize = 150;

/// Fill of a node fully unavailable at some time in the run.
pub const DOWN: &str = "#f4a6a6";
/// Fill of a node that lost a part of its traffic, or servers, but never all of it.
pub const HIT: &str = "#fbd98d";

/// The SVG of `model`'s graph, each node filled as `fill` says; `None` if the layout
/// cannot be made (the DOT is ours, so only a fault of ours can cause that).
pub fn svg(model: &Model, fill: &dyn Fn(NodeId) -> Option<&'static str>) -> Option<String> {
    let mut text = Vec::new();
    dot::write_filled(&mut text, model, fill).ok()?;
    let text = String::from_utf8(text).ok()?;
    let mut parser = DotParser::new(&text);
    let graph = parser.process().ok()?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut writer = SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    Some(tidy(&writer.finalize()))
}

/// Makes the crate's SVG fit inline in a page, the same bytes on every run: no XML
/// declaration, a sans-serif font, the font classes in a fixed order (the crate keeps
/// them in a hash map) and a width that scales with the page.
fn tidy(svg: &str) -> String {
    let svg = svg.trim_start();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, s)| s).trim_start(),
        None => svg,
    };
    let svg = svg.replace("font-family: Times, serif", "font-family: sans-serif");
    let sorted = match (svg.find("<style>\n"), svg.find("</style>")) {
        (Some(a), Some(b)) if a < b => {
            let body = &svg[a + "<style>\n".len()..b];
            let mut lines: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();
            lines.sort_unstable();
            format!("{}<style>\n{}\n{}", &svg[..a], lines.join("\n"), &svg[b..])
        }
        _ => svg,
    };
    let fitted = match (bottom(&sorted), sorted.find("<svg width=")) {
        (Some(y), Some(at)) => {
            // `<svg width="W" height="H" viewBox="0 0 W H"`: the height cut to what is drawn.
            let head_end = sorted[at..].find('>').map_or(sorted.len(), |e| at + e);
            let head = &sorted[at..head_end];
            let attr = |name: &str| {
                let from = head.find(&format!("{name}=\""))? + name.len() + 2;
                let to = head[from..].find('"')? + from;
                Some(head[from..to].to_string())
            };
            match (attr("width"), attr("height")) {
                (Some(w), Some(h)) => {
                    let height = format!("{:.0}", y + 12.0);
                    let new = head
                        .replacen(
                            &format!("height=\"{h}\""),
                            &format!("height=\"{height}\""),
                            1,
                        )
                        .replacen(&format!("0 0 {w} {h}"), &format!("0 0 {w} {height}"), 1);
                    format!("{}{new}{}", &sorted[..at], &sorted[head_end..])
                }
                _ => sorted,
            }
        }
        _ => sorted,
    };
    fitted.replacen("<svg width=", "<svg class=\"graph\" width=", 1)
}

/// The lowest point drawn: of the boxes (`y` + `height`), the ellipses (`cy` + `ry`) and
/// the edges (each point of a path).
fn bottom(svg: &str) -> Option<f64> {
    let number = |tag: &str, name: &str| -> Option<f64> {
        let key = format!(" {name}=\"");
        let from = tag.find(&key)? + key.len();
        let to = tag[from..].find('"')? + from;
        tag[from..to].trim().parse().ok()
    };
    let mut lowest: Option<f64> = None;
    let mut low = |y: f64| lowest = Some(lowest.map_or(y, |l: f64| l.max(y)));
    for piece in svg.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or("");
        if tag.starts_with("rect") {
            if let (Some(y), Some(h)) = (number(tag, "y"), number(tag, "height")) {
                low(y + h);
            }
        } else if tag.starts_with("ellipse") {
            if let (Some(y), Some(r)) = (number(tag, "cy"), number(tag, "ry")) {
                low(y + r);
            }
        } else if tag.starts_with("path") {
            let Some(from) = tag.find(" d=\"").map(|i| i + 4) else {
                continue;
            };
            let d = &tag[from..from + tag[from..].find('"').unwrap_or(0)];
            let numbers: Vec<f64> = d.split([' ', ',']).filter_map(|t| t.parse().ok()).collect();
            for pair in numbers.chunks(2) {
                if let [_, y] = pair {
                    low(*y);
                }
            }
        }
    }
    lowest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_is_drawn_once_and_the_bytes_are_the_same_each_time() {
        let model = crate::scenario::load("s3-2017").expect("built-in");
        let index = model.find("index").expect("index");
        let fill = |id: NodeId| (id == index).then_some(DOWN);
        let a = svg(&model, &fill).expect("a layout");
        assert_eq!(a, svg(&model, &fill).expect("a layout"));
        assert!(a.starts_with("<svg class=\"graph\""), "{}", &a[..80]);
        for node in &model.nodes {
            let label = format!(">{}</tspan>", node.name);
            assert_eq!(a.matches(&label).count(), 1, "{}", node.name);
        }
        assert_eq!(a.matches("#f4a6a6").count(), 1);
    }
}
