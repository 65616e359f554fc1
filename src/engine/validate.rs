//! Negotiate validation (MS-SMB2 3.2.5.14.12, 3.3.5.15.12): a signed
//! FSCTL_VALIDATE_NEGOTIATE_INFO repeats the NEGOTIATE (the request: Capabilities, ClientGuid,
//! SecurityMode, Dialects; the response: Capabilities, ServerGuid, SecurityMode, Dialect) so
//! that a man in the middle who changed the unsigned NEGOTIATE is caught. Its signature is
//! judged like any other message's; here its values are compared with the NEGOTIATE this
//! connection's capture shows. 3.1.1 needs none: the preauth integrity hash, folded into the
//! keys, covers the NEGOTIATE.

use dissectors::smb2::{
    self, Body, COMMAND_IOCTL, Dialect, NegotiateRequest, NegotiateResponse,
    ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse,
};
use dissectors::status::STATUS_SUCCESS;

use super::Engine;
use crate::flow::Pdu;
use crate::model::ProblemKind;
use crate::model::{NegotiateValidation, names};

/// Dialects kept from a NEGOTIATE request (a real one offers at most a handful).
const MAX_DIALECTS: usize = 64;
/// Response frames kept for a `valid` verdict.
const MAX_FRAMES: usize = 16;

/// What the NEGOTIATE of a connection said, and a validation awaiting its response.
#[derive(Debug, Default)]
pub struct Validation {
    request: Option<Offered>,
    response: Option<Chosen>,
    /// A VALIDATE_NEGOTIATE_INFO request: its MessageId, frame and the fields that differ.
    pending: Option<(u64, u64, Vec<String>)>,
    /// Bytes of the NEGOTIATE request or response were lost or cut: zeros stand in for them,
    /// so nothing is compared with it.
    request_damaged: bool,
    response_damaged: bool,
}

#[derive(Debug)]
struct Offered {
    capabilities: u32,
    guid: [u8; 16],
    security_mode: u16,
    dialects: Vec<u16>,
}

#[derive(Debug)]
struct Chosen {
    capabilities: u32,
    guid: [u8; 16],
    security_mode: u16,
    dialect: u16,
}

impl Validation {
    /// A NEGOTIATE request; `damaged`: not all of it was captured.
    pub fn negotiate_request(&mut self, req: &NegotiateRequest, damaged: bool) {
        self.request_damaged = damaged;
        self.response_damaged = false;
        self.response = None;
        self.request = (!damaged).then(|| Offered {
            capabilities: req.capabilities,
            guid: req.client_guid,
            security_mode: req.security_mode,
            dialects: req.dialects.into_iter().take(MAX_DIALECTS).collect(),
        });
    }

    /// A NEGOTIATE response; `damaged`: not all of it was captured.
    pub fn negotiate_response(&mut self, resp: &NegotiateResponse, damaged: bool) {
        self.response_damaged = damaged;
        self.response = (!damaged).then_some(Chosen {
            capabilities: resp.capabilities,
            guid: resp.server_guid,
            security_mode: resp.security_mode,
            dialect: resp.dialect_revision,
        });
    }

    /// The request's fields that differ from the NEGOTIATE request (MS-SMB2 3.3.5.15.12).
    fn compare_request(&self, v: &ValidateNegotiateInfoRequest) -> Result<Vec<String>, String> {
        if self.request_damaged {
            return Err("bytes of the NEGOTIATE request were lost or cut".into());
        }
        let n = self
            .request
            .as_ref()
            .ok_or("the SMB2 NEGOTIATE request is not in the capture")?;
        let dialects: Vec<u16> = v.dialects.into_iter().take(MAX_DIALECTS).collect();
        let mut out = Vec::new();
        let mut differs = |differ: bool, name: &str| {
            if differ {
                out.push(format!("request {name}"));
            }
        };
        differs(v.capabilities != n.capabilities, "Capabilities");
        differs(v.guid != n.guid, "Guid");
        differs(v.security_mode != n.security_mode, "SecurityMode");
        differs(dialects != n.dialects, "Dialects");
        Ok(out)
    }

    /// The response's fields that differ from the NEGOTIATE response (3.2.5.14.12).
    fn compare_response(&self, v: &ValidateNegotiateInfoResponse) -> Result<Vec<String>, String> {
        if self.response_damaged {
            return Err("bytes of the NEGOTIATE response were lost or cut".into());
        }
        let n = self
            .response
            .as_ref()
            .ok_or("the NEGOTIATE response is not in the capture")?;
        let mut out = Vec::new();
        let mut differs = |differ: bool, name: &str| {
            if differ {
                out.push(format!("response {name}"));
            }
        };
        differs(v.capabilities != n.capabilities, "Capabilities");
        differs(v.guid != n.guid, "Guid");
        differs(v.security_mode != n.security_mode, "SecurityMode");
        differs(v.dialect != n.dialect, "Dialect");
        Ok(out)
    }
}

impl Engine {
    /// Looks at an IOCTL (decrypted or not) for FSCTL_VALIDATE_NEGOTIATE_INFO.
    pub(super) fn observe_validation(&mut self, pdu: &Pdu, h: &smb2::Header, body: Option<&Body>) {
        if h.command != COMMAND_IOCTL {
            return;
        }
        let Some(c) = self.conns.get_mut(pdu.conn as usize) else {
            return;
        };
        let val = &mut c.validation;
        if pdu.damage.is_some() {
            // Zeros stand in for lost bytes: the values cannot be compared.
            let validation = match body {
                Some(Body::IoctlRequest(r)) => r.validate_negotiate_info().is_some(),
                Some(Body::IoctlResponse(r)) => r.ctl_code == smb2::FSCTL_VALIDATE_NEGOTIATE_INFO,
                _ => false,
            };
            if validation {
                val.pending = None;
                let why = "bytes of the validation were lost or cut".to_string();
                c.info
                    .negotiate_validated
                    .get_or_insert(NegotiateValidation::Unverified(why));
            }
            return;
        }
        match body {
            Some(Body::IoctlRequest(r)) => {
                if let Some(v) = r.validate_negotiate_info() {
                    let fields = match val.compare_request(&v) {
                        Ok(fields) => fields,
                        Err(why) => {
                            c.info
                                .negotiate_validated
                                .get_or_insert(NegotiateValidation::Unverified(why));
                            Vec::new()
                        }
                    };
                    val.pending = Some((h.message_id, pdu.last_frame, fields));
                }
            }
            Some(Body::IoctlResponse(r)) => {
                let Some((_, request_frame, mut fields)) =
                    val.pending.take_if(|(id, _, _)| *id == h.message_id)
                else {
                    return;
                };
                let mut frame = pdu.last_frame;
                if h.status != STATUS_SUCCESS {
                    // The server refused it (a 2.x server may not support it): the request
                    // alone is compared.
                    if fields.is_empty() {
                        let why = format!(
                            "the server answered the validation (frame {request_frame}) with {}",
                            names::status_text(h.status)
                        );
                        c.info
                            .negotiate_validated
                            .get_or_insert(NegotiateValidation::Unverified(why));
                        return;
                    }
                    frame = request_frame;
                } else if let Some(v) = r.validate_negotiate_info() {
                    match val.compare_response(&v) {
                        Ok(more) => fields.extend(more),
                        Err(why) => {
                            c.info
                                .negotiate_validated
                                .get_or_insert(NegotiateValidation::Unverified(why));
                            return;
                        }
                    }
                }
                self.validation_result(pdu, frame, fields);
            }
            _ => {}
        }
    }

    fn validation_result(&mut self, pdu: &Pdu, frame: u64, fields: Vec<String>) {
        let c = &mut self.conns[pdu.conn as usize];
        let slot = &mut c.info.negotiate_validated;
        if fields.is_empty() {
            match slot {
                Some(NegotiateValidation::Valid { frames }) => {
                    if frames.len() < MAX_FRAMES {
                        frames.push(frame);
                    }
                }
                Some(NegotiateValidation::Mismatch { .. }) => {}
                _ => {
                    *slot = Some(NegotiateValidation::Valid {
                        frames: vec![frame],
                    })
                }
            }
            return;
        }
        if !matches!(slot, Some(NegotiateValidation::Mismatch { .. })) {
            *slot = Some(NegotiateValidation::Mismatch {
                frame,
                fields: fields.clone(),
            });
        }
        let detail = format!(
            "FSCTL_VALIDATE_NEGOTIATE_INFO on connection #{} does not repeat its NEGOTIATE: {} \
             differ (a downgrade of the NEGOTIATE, MS-SMB2 3.3.5.15.12)",
            pdu.conn,
            fields.join(", ")
        );
        self.problem(
            frame,
            pdu.ts,
            Some(pdu.conn),
            ProblemKind::NegotiateMismatch,
            detail,
            true,
        );
    }

    /// At the end: connections with no validation are `absent` (3.0, 3.0.2) or
    /// `not-applicable` (3.1.1, 2.0.2, 2.1).
    pub(super) fn finish_validation(&mut self) {
        for c in &mut self.conns {
            if c.info.negotiate_validated.is_some() {
                continue;
            }
            c.info.negotiate_validated = match c.dialect {
                Some(Dialect::Smb311) => Some(NegotiateValidation::NotApplicable(
                    "3.1.1: the preauth integrity hash protects the NEGOTIATE".into(),
                )),
                Some(d) if d.is_smb3() => Some(NegotiateValidation::Absent),
                Some(_) => Some(NegotiateValidation::NotApplicable(
                    "2.0.2/2.1: none sent (optional before 3.0)".into(),
                )),
                None => None,
            };
        }
    }
}
