//! The timeline's columns at a given width (issue 21 item 4): numbers (time, frame,
//! channel) are as wide as the largest one in the timeline and never cut; when the pane is
//! narrow the least useful columns give way first: the verdict's reason, then long command
//! and status names take short forms, then the message id and the session id go (the
//! detail pane still shows them).

use crate::app::Extents;
use crate::ui::fit::SHORT_COMMAND;

/// The narrowest note column worth keeping before dropping another column.
const NOTE_MIN: u16 = 16;
const COMMAND_FULL: u16 = 16;
const STATUS_FULL: u16 = 24;
const STATUS_SHORT: u16 = 12;
const VERDICT_FULL: u16 = 17;
/// `unverified`, the longest verdict name.
const VERDICT_SHORT: u16 = 10;

/// What the timeline shows and how wide; `None`: column left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    pub time: u16,
    pub frame: u16,
    pub channel: u16,
    pub command: u16,
    pub message_id: Option<u16>,
    pub session: Option<u16>,
    pub status: u16,
    pub verdict: u16,
}

impl Columns {
    /// The columns for a pane `width` columns wide (inside its borders).
    pub(crate) fn plan(extents: &Extents, time_text: usize, width: u16) -> Columns {
        let digits = |n: u64| n.to_string().len() as u16;
        let mut c = Columns {
            time: (time_text as u16).max(4),
            frame: digits(extents.frame).max(5),
            channel: (1 + digits(u64::from(extents.conn))).max(2),
            command: COMMAND_FULL,
            message_id: Some(digits(extents.message_id).max(3)),
            session: Some(if extents.session_id >> 32 == 0 { 8 } else { 16 }),
            status: STATUS_FULL,
            verdict: VERDICT_FULL,
        };
        let steps: [fn(&mut Columns); 5] = [
            |c| c.verdict = VERDICT_SHORT,
            |c| c.command = SHORT_COMMAND as u16,
            |c| c.status = STATUS_SHORT,
            |c| c.message_id = None,
            |c| c.session = None,
        ];
        for step in steps {
            if c.used() + NOTE_MIN <= width {
                break;
            }
            step(&mut c);
        }
        c
    }

    /// Columns taken by everything but the note, with the spaces between columns and the
    /// one before the note.
    pub(crate) fn used(&self) -> u16 {
        let widths = [
            Some(self.time),
            Some(self.frame),
            Some(self.channel),
            Some(1),
            Some(self.command),
            self.message_id,
            self.session,
            Some(self.status),
            Some(self.verdict),
        ];
        widths.iter().flatten().map(|w| w + 1).sum()
    }

    /// Whether the verdict column has room for the reason of an unverified message.
    pub(crate) fn verdict_reason(&self) -> bool {
        self.verdict > VERDICT_SHORT
    }
    pub(crate) fn short_command(&self) -> bool {
        self.command < COMMAND_FULL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_drops_ids_keeps_numbers() {
        let e = Extents {
            last_ns: 0,
            frame: 881,
            conn: 32,
            message_id: 1234,
            session_id: 0x1234,
        };
        let wide = Columns::plan(&e, 9, 200);
        assert_eq!(wide.message_id, Some(4));
        assert!(wide.verdict_reason());
        let narrow = Columns::plan(&e, 9, 78);
        assert_eq!((narrow.time, narrow.frame, narrow.channel), (9, 5, 3));
        assert_eq!((narrow.message_id, narrow.session), (None, None));
        assert!(narrow.used() + NOTE_MIN <= 78, "{narrow:?}");
    }
}
