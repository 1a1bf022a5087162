use anyhow::Result;
use layer_walker::{ImageRef, Scanner};

fn main() -> Result<()> {
    let arg = std::env::args().nth(1).expect("usage: sbom IMAGE");
    let scan = Scanner::new().scan(&ImageRef::parse(&arg))?;
    let inv = &scan.inventory;
    println!(
        "{} ({}) {}",
        inv.image.name, inv.image.source_kind, inv.image.platform
    );
    for (l, a) in inv.layers.iter().zip(&scan.layers) {
        println!(
            "layer {} {} {} {} bytes -> {} bytes, {} entries, {} whiteouts, claimed {:?}",
            l.index,
            l.diff_id,
            l.compression,
            l.size,
            l.uncompressed_size,
            l.entries,
            a.whiteouts,
            a.claimed()
        );
    }
    for w in &inv.warnings {
        println!("warning: {w:?}");
    }
    Ok(())
}
