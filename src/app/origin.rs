//! Which capture file each frame came from, when several files are read as one timeline
//! (their frames are numbered in merged time order: `capture::CaptureSet`).

/// Runs of consecutive frames from one file, as `(first frame, file index)`: a new run each
/// time the merged timeline moves to another file. One run for a single file, one per file
/// for files that follow each other in time; files that overlap in time take one run per
/// switch.
#[derive(Debug, Default)]
pub struct Origins {
    runs: Vec<(u64, usize)>,
}

impl Origins {
    /// Frame `frame` (numbers only grow) came from file `file`.
    pub fn note(&mut self, frame: u64, file: usize) {
        if self.runs.last().is_none_or(|&(_, last)| last != file) {
            self.runs.push((frame, file));
        }
    }

    /// The file frame `frame` came from, if it was noted.
    pub fn file_of(&self, frame: u64) -> Option<usize> {
        let after = self.runs.partition_point(|&(first, _)| first <= frame);
        after.checked_sub(1).map(|run| self.runs[run].1)
    }
}

#[cfg(test)]
mod tests {
    use super::Origins;

    #[test]
    fn each_frame_maps_to_the_file_of_its_run() {
        let mut origins = Origins::default();
        assert_eq!(origins.file_of(1), None);
        for (frame, file) in [(1, 0), (2, 0), (3, 1), (4, 0), (6, 0), (7, 1), (8, 1)] {
            origins.note(frame, file);
        }
        assert_eq!(origins.runs.len(), 4);
        let files: Vec<_> = (0..=9).map(|f| origins.file_of(f)).collect();
        let expected = [
            None,
            Some(0),
            Some(0),
            Some(1),
            Some(0),
            Some(0),
            Some(0),
            Some(1),
        ];
        assert_eq!(files[..8], expected);
        assert_eq!(files[9], Some(1));
    }
}
