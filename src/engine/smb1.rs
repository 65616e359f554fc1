//! SMB1 (being written).

use super::model::{Protocol, Unverified, Verdict};
use super::{Engine, Sink};
use crate::flow::Pdu;

impl Engine {
    pub(super) fn smb1_pdu(&mut self, pdu: &Pdu, sink: &mut Sink) {
        let m = self.message(pdu, Protocol::Smb1, 0, false, 0, 0, 0);
        self.emit(m, Verdict::Unverified(Unverified::Unsupported), None, sink);
    }
}
