//! Oplock breaks, lease breaks and multichannel facts, observed on every message after it
//! is dissected (issue 5 fills this in).

use dissectors::{smb1, smb2};

use super::Engine;
use crate::flow::Pdu;

impl Engine {
    pub(super) fn observe_smb2(
        &mut self,
        _pdu: &Pdu,
        _el: &smb2::Element,
        _body: Option<&smb2::Body>,
    ) {
    }

    pub(super) fn observe_smb1(&mut self, _pdu: &Pdu, _msg: &smb1::Message) {}
}
