//! Reading a scenario's TOML into [`RawScenario`] a section at a time, so that memory
//! stays near the size of what was read. The TOML parser keeps every token and event of
//! its input and a whole document tree beside it, about 35 bytes for each byte of text: a
//! 16 MiB file of 100,000 subsystems took 600 MB to read at once.
//!
//! The file is cut before table headers: each node (`[subsystems.NAME]` with its
//! sub-tables) and each other top-level table (`[scenario]`, `[command]` with its
//! sub-tables) stays whole, and consecutive ones go together into sections of about
//! [`SECTION_BYTES`]. Each section is read alone, and the nodes of all of them are put
//! together in file order. Whenever that could differ from reading the file at once (a
//! section that does not read, a node or table met in two sections, key-values before the
//! first header, a `[subsystems]` table of its own, a header the cut cannot follow), the
//! whole file is read at once instead: its result, and its error messages, are the
//! reference, and reading by sections is only ever a cheaper way to the same result.

use serde::Deserialize;
use toml_parser::lexer::TokenKind;

use super::raw::{
    Named, RawCommand, RawCustomer, RawHeader, RawOperations, RawScenario, RawService, RawStandby,
    RawSubsystem, SectionAt, Spanned,
};

/// Sections are cut at the first header after this many bytes. Small enough that a
/// section's tokens and parse events stay under the 1 MiB beyond which the command line
/// has the allocator map each block afresh ([`crate::cli::memory`]): with 256 KiB
/// sections, reading 100,000 subsystems took 135,000 page faults instead of 79,000.
const SECTION_BYTES: usize = 32 << 10;

/// The top-level tables whose entries are nodes, one group of headers per node.
const NODE_TABLES: [&str; 4] = ["subsystems", "services", "standbys", "customers"];

/// Reads `text` as a scenario: by sections when it is long enough for that to matter and
/// the cut is safe, else at once. Errors are always those of reading it at once.
pub(crate) fn read(text: &str) -> Result<RawScenario, toml::de::Error> {
    if text.len() > SECTION_BYTES {
        if let Some(raw) = cuts(text).and_then(|cuts| by_sections(text, &cuts)) {
            return Ok(raw);
        }
    }
    toml::from_str(text)
}

/// One section read alone: every top-level table optional, as any may be in another.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Part {
    scenario: Option<RawHeader>,
    #[serde(default)]
    subsystems: Named<RawSubsystem>,
    #[serde(default)]
    services: Named<RawService>,
    #[serde(default)]
    standbys: Named<RawStandby>,
    #[serde(default)]
    customers: Named<RawCustomer>,
    command: Option<Spanned<RawCommand>>,
    operations: Option<RawOperations>,
}

/// Sections read at once, on the threads of rayon's global pool (all cores, or as many as
/// the command line's `--threads`): each holds its parser's tree (about 35 bytes a byte of
/// text) only while it is read.
const SECTIONS_AT_ONCE: usize = 8;

/// Reads each section between `cuts` alone (a few at once, in parallel) and puts them
/// together in file order, each batch while the next is read; `None` if a section does
/// not read or two of them hold the same table or node.
fn by_sections(text: &str, cuts: &[usize]) -> Option<RawScenario> {
    use rayon::prelude::*;
    let ends = cuts.iter().skip(1).copied().chain([text.len()]);
    let sections: Vec<(usize, usize)> = cuts.iter().copied().zip(ends).collect();
    let read = |batch: &[(usize, usize)]| -> Vec<Option<Part>> {
        batch
            .par_iter()
            .map(|&(start, end)| {
                // Positions are shifted per thread: each section sets its own.
                let _at = SectionAt::new(start);
                toml::from_str::<Part>(&text[start..end]).ok()
            })
            .collect()
    };
    let mut whole: Option<Part> = None;
    let mut last: Vec<Option<Part>> = Vec::new();
    for batch in sections.chunks(SECTIONS_AT_ONCE) {
        let (added, next) = rayon::join(
            || add(&mut whole, std::mem::take(&mut last)),
            || read(batch),
        );
        added?;
        last = next;
    }
    add(&mut whole, last)?;
    let w = whole?;
    Some(RawScenario {
        scenario: w.scenario?,
        subsystems: w.subsystems,
        services: w.services,
        standbys: w.standbys,
        customers: w.customers,
        command: w.command?,
        operations: w.operations,
    })
}

/// Puts `parts`, read in file order, after what `whole` holds; `None` if one did not read
/// or holds a table or node already there.
fn add(whole: &mut Option<Part>, parts: Vec<Option<Part>>) -> Option<()> {
    for part in parts {
        let part = part?;
        match whole.as_mut() {
            None => *whole = Some(part),
            Some(w) => {
                join(&mut w.scenario, part.scenario)?;
                join(&mut w.command, part.command)?;
                join(&mut w.operations, part.operations)?;
                extend(&mut w.subsystems, part.subsystems)?;
                extend(&mut w.services, part.services)?;
                extend(&mut w.standbys, part.standbys)?;
                extend(&mut w.customers, part.customers)?;
            }
        }
    }
    Some(())
}

/// A table given in at most one section.
fn join<T>(into: &mut Option<T>, more: Option<T>) -> Option<()> {
    match (into.is_some(), more) {
        (true, Some(_)) => None,
        (false, Some(m)) => {
            *into = Some(m);
            Some(())
        }
        (_, None) => Some(()),
    }
}

/// Nodes given in one section each.
fn extend<T>(into: &mut Named<T>, more: Named<T>) -> Option<()> {
    into.reserve(more.len());
    for (name, node) in more {
        if into.contains_key(name.get_ref().as_str()) {
            return None;
        }
        into.insert(name, node);
    }
    Some(())
}

/// Where to cut `text`: 0, then the start of the first header of each section, every
/// section but the last at least [`SECTION_BYTES`] long and ending where one node or
/// top-level table ends and another begins. `None` if the file is not shaped for cutting
/// (see the module's documentation); it is then read at once.
///
/// Headers are found line by line, without reading the values between them: a line that
/// starts with `[` inside a multi-line string or array is taken for a header too. A cut
/// there leaves that string or array open at the end of its section, which then does not
/// read, and the file is read at once: a mistaken cut costs time, never a different
/// result.
fn cuts(text: &str) -> Option<Vec<usize>> {
    let mut cuts = vec![0];
    let mut last_group: Option<(&str, &str)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let line_at = at;
        at += line.len();
        let code = line.trim_start_matches([' ', '\t']);
        match code.as_bytes().first() {
            Some(b'[') => {
                let group = match header(code) {
                    Header::Group(table, node) => (table, node),
                    Header::Uncut => return None,
                    // Not a header after all (or a broken one, which the reading reports).
                    Header::Other => continue,
                };
                let start = line_at + (line.len() - code.len());
                let long = start - cuts.last().copied().unwrap_or(0) >= SECTION_BYTES;
                if last_group.is_some_and(|g| g != group) && long {
                    cuts.push(start);
                }
                last_group = Some(group);
            }
            None | Some(b'#' | b'\n' | b'\r') => {}
            // Key-values before the first header could define any table: read at once.
            Some(_) if last_group.is_none() => return None,
            Some(_) => {}
        }
    }
    Some(cuts)
}

/// What a line that starts with `[` opens.
enum Header<'t> {
    /// A node (its table and name) or a top-level table (its name, and "").
    Group(&'t str, &'t str),
    /// A header whose table the cut cannot follow: `[subsystems]` alone defines the table
    /// of nodes itself.
    Uncut,
    /// Not a header's dotted key between brackets.
    Other,
}

/// What the header at the start of `line` opens.
fn header(line: &str) -> Header<'_> {
    let mut tokens = toml_parser::Source::new(line).lex().skip(1).peekable();
    // `[[` opens a list of tables, closed by `]]`.
    let list = tokens
        .next_if(|t| t.kind() == TokenKind::LeftSquareBracket)
        .is_some();
    let mut keys: Vec<&str> = Vec::new();
    loop {
        let Some(t) = tokens.next() else {
            return Header::Other;
        };
        match t.kind() {
            TokenKind::RightSquareBracket => break,
            TokenKind::Atom | TokenKind::BasicString | TokenKind::LiteralString => {
                let Some(key) = line.get(t.span().start()..t.span().end()) else {
                    return Header::Other;
                };
                keys.push(key);
            }
            TokenKind::Dot | TokenKind::Whitespace => {}
            _ => return Header::Other,
        }
    }
    if list
        && tokens
            .next_if(|t| t.kind() == TokenKind::RightSquareBracket)
            .is_none()
    {
        return Header::Other;
    }
    match keys[..] {
        [table, node, ..] if NODE_TABLES.contains(&table) => Header::Group(table, node),
        [table, ..] if !NODE_TABLES.contains(&table) => Header::Group(table, ""),
        _ => Header::Uncut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading by sections gives exactly what reading at once gives, positions included.
    fn same(text: &str) {
        let at_once: Result<RawScenario, _> = toml::from_str(text);
        let cut = cuts(text).expect("cuttable");
        assert!(cut.len() > 1, "{} sections", cut.len());
        let sections = by_sections(text, &cut).expect("reads by sections");
        assert_eq!(
            format!("{:?}", at_once.expect("reads at once")),
            format!("{sections:?}")
        );
    }

    #[test]
    fn generated_scenarios_read_the_same_by_sections() {
        let text = crate::scenario::generate(crate::scenario::Shape {
            subsystems: 3000,
            services: 40,
            needs: 2,
            hits: 10,
            seed: 3,
        });
        same(&text);
    }

    #[test]
    fn shipped_scenarios_read_the_same_by_sections() {
        // Each built-in, padded past a section and cut between its nodes.
        for b in crate::scenario::BUILTINS {
            let padding = format!("# {}\n", "x".repeat(SECTION_BYTES));
            let text = b.text.replacen("\n[", &format!("\n{padding}["), 3);
            same(&text);
        }
    }

    /// Every scenario and fixture shipped, padded between its tables, and variants of
    /// them broken in ways that only reading at once can tell: [`read`] gives what reading
    /// at once gives, the same value or the same error.
    #[test]
    fn read_agrees_with_reading_at_once() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        for dir in ["scenarios", "tests/fixtures"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "toml") {
                    texts.push(std::fs::read_to_string(path).expect("text"));
                }
            }
        }
        let padding = format!("# {}\n", "x".repeat(SECTION_BYTES));
        let broken = [
            "\n[subsystems.index.restart]\nparallelism = 1\n",
            "\n[command]\ncount = 1\n",
            "\n[scenario.x]\n",
            "\n[subsystems]\n",
            "\n[bogus]\n",
            "\n[[subsystems.q]]\n",
            "\n[subsystems.index\n",
        ];
        for text in texts {
            let padded = text.replace("\n[", &format!("\n{padding}["));
            let mut variants = vec![padded.clone()];
            variants.extend(broken.iter().map(|b| format!("{padded}{padding}{b}")));
            for v in variants {
                let at_once: Result<RawScenario, _> = toml::from_str(&v);
                assert_eq!(format!("{:?}", read(&v)), format!("{at_once:?}"));
            }
        }
    }

    #[test]
    fn a_node_split_over_sections_is_read_at_once() {
        let padding = format!("# {}\n", "x".repeat(SECTION_BYTES));
        let text = format!(
            "[scenario]\nname = \"x\"\n{padding}[subsystems.a]\nservers = 1\n{padding}\
             [services.s]\n{padding}[subsystems.a]\nmin_capacity = 1\n"
        );
        let cut = cuts(&text).expect("cuttable");
        assert_eq!(cut.len(), 4);
        assert!(by_sections(&text, &cut).is_none());
        // At once: the reference error (a table defined twice).
        assert!(read(&text).is_err());
    }

    #[test]
    fn a_header_inside_a_multi_line_string_is_read_at_once() {
        // A service whose description holds, past a section's length, a line that looks
        // like a header: the cut made there leaves the string open, so the file is read
        // at once, and the description keeps the line.
        let padding = format!("# {}\n", "x".repeat(SECTION_BYTES));
        let fake = "[subsystems.fake]";
        let text = format!(
            "{}\n[services.extra]\ndescription = \"\"\"\n{padding}{fake}\nservers = 1\n\"\"\"\n",
            crate::scenario::BUILTINS[0].text
        );
        let cut = cuts(&text).expect("cuttable");
        assert!(cut.iter().any(|&c| text[c..].starts_with(fake)), "{cut:?}");
        assert!(by_sections(&text, &cut).is_none());
        let raw = read(&text).expect("reads at once");
        let extra = raw.services.get("extra").expect("the service");
        assert!(extra
            .description
            .as_deref()
            .is_some_and(|d| d.contains(fake)));
        assert!(raw.subsystems.get("fake").is_none());
    }

    #[test]
    fn a_line_starting_with_a_bracket_that_is_not_a_header_is_no_cut() {
        let text = "[scenario]\nname = \"x\"\n[services.s]\nneeds = [\n[\"a\", 1],\n]\n";
        assert_eq!(cuts(text), Some(vec![0]));
        assert!(cuts("[scenario]\n[subsystems]\n").is_none());
        assert!(cuts("[scenario]\n[[subsystems]]\n").is_none());
    }

    #[test]
    fn key_values_before_any_header_are_read_at_once() {
        assert!(cuts("subsystems.a.servers = 1\n[scenario]\n").is_none());
        assert!(cuts("[subsystems]\na = {}\n").is_none());
        assert_eq!(cuts("# c\n\n[scenario]\nname = \"x\"\n"), Some(vec![0]));
    }
}
