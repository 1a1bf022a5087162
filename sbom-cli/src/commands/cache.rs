//! The layer cache on the command line: `--cache DIR` on scans, and `sbom cache stats|prune`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use layer_walker::cache::{DiskCache, LayerCache, MemoryCache};
use sbom_core::format::human_size;

/// The cache flags of `scan` and `layers`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CacheArgs {
    /// Keep layer analyses in DIR and reuse them: a layer scanned before (by its diff_id) is
    /// not read or downloaded again. Safe to share between processes and machines
    #[arg(long, value_name = "DIR", env = "SBOM_CACHE", help_heading = "Cache")]
    pub cache: Option<PathBuf>,
    /// Bound the cache directory; least recently used layers are evicted after a scan
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "10G",
        value_parser = parse_size,
        help_heading = "Cache"
    )]
    pub cache_max_size: u64,
}

/// Memory for the layers a batch of images shares when no cache directory is given. Entries
/// are compressed analyses (a Debian base layer's is about 100 KB), so this holds the bases
/// of any realistic batch while staying a small part of a scan's memory.
const BATCH_MEMORY: u64 = 32 << 20;

impl CacheArgs {
    /// The cache a scan of `images` images uses: the directory when given, else memory
    /// shared within the run when there are several images, else none.
    pub fn open(&self, images: usize) -> Result<Option<Arc<dyn LayerCache>>> {
        Ok(match &self.cache {
            Some(dir) => Some(Arc::new(
                DiskCache::open(dir)
                    .context("--cache")?
                    .max_size(self.cache_max_size),
            )),
            None if images > 1 => Some(Arc::new(MemoryCache::new(BATCH_MEMORY))),
            None => None,
        })
    }
}

/// `sbom cache`.
#[derive(clap::Args, Debug, Clone)]
pub struct CacheCommand {
    #[command(subcommand)]
    pub action: CacheAction,
    /// The cache directory
    #[arg(long, value_name = "DIR", env = "SBOM_CACHE", global = true)]
    pub cache: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum CacheAction {
    /// How many layers the cache holds, and their size
    Stats {
        /// json for a machine
        #[arg(short, long, value_name = "FORMAT", default_value = "text")]
        output: StatsFormat,
    },
    /// Evict the least recently used layers down to a size (or everything)
    Prune {
        /// What to keep at most
        #[arg(long, value_name = "SIZE", value_parser = parse_size, conflicts_with = "all")]
        max_size: Option<u64>,
        /// Remove every entry
        #[arg(long)]
        all: bool,
    },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum StatsFormat {
    Text,
    Json,
}

pub fn run(cmd: &CacheCommand) -> Result<()> {
    let dir = cmd.cache.as_ref().ok_or_else(|| {
        crate::usage(anyhow::anyhow!(
            "name the cache with --cache DIR or SBOM_CACHE"
        ))
    })?;
    if !dir.is_dir() {
        return Err(crate::usage(anyhow::anyhow!(
            "--cache {}: no such directory",
            dir.display()
        )));
    }
    let cache = DiskCache::open(dir).context("--cache")?;
    match &cmd.action {
        CacheAction::Stats { output } => {
            let s = cache.stats()?;
            let age = |t: Option<std::time::SystemTime>| {
                t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs())
            };
            match output {
                StatsFormat::Json => println!(
                    "{}",
                    serde_json::json!({
                        "path": dir,
                        "entries": s.entries,
                        "bytes": s.bytes,
                        "oldest_use": age(s.oldest),
                        "newest_use": age(s.newest),
                    })
                ),
                StatsFormat::Text => {
                    println!("{}", dir.display());
                    println!("{} layers, {}", s.entries, human_size(s.bytes));
                    if s.entries > 0 {
                        println!(
                            "{} per layer on average",
                            human_size(s.bytes / s.entries.max(1))
                        );
                    }
                }
            }
        }
        CacheAction::Prune { max_size, all } => {
            let keep = if *all { 0 } else { max_size.unwrap_or(0) };
            if !*all && max_size.is_none() {
                return Err(crate::usage(anyhow::anyhow!(
                    "say what to keep: --max-size SIZE, or --all"
                )));
            }
            let p = cache.prune(keep)?;
            println!(
                "removed {} layers ({}); {} layers ({}) left",
                p.removed,
                human_size(p.freed),
                p.left.entries,
                human_size(p.left.bytes)
            );
        }
    }
    Ok(())
}

/// `10G`, `512M`, `1.5G`, `4096`: binary units (K = 1024), an optional `B` or `iB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 30),
        Some('T' | 't') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 500M, 10G)"))?;
    if !(n.is_finite() && n >= 0.0) {
        return Err(format!("{s:?} is not a size (e.g. 500M, 10G)"));
    }
    Ok((n * (1u64 << shift) as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("10G"), Ok(10 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("2TB"), Ok(2 << 40));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("-1G").is_err());
    }
}
