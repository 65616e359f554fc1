//! SMB2 compression transforms (0xFC 'SMB', MS-SMB2 2.2.42): the message is rebuilt and then
//! analysed exactly like clear traffic. A signature covers the uncompressed message
//! (MS-SMB2 3.1.4.1), so it is checked after decompression.

use dissectors::compression::{self, CompressionError, Decompressed};
use dissectors::transform;

use super::{Engine, Judged, Sealed, Sink, damaged};
use crate::flow::Pdu;
use crate::model::ProblemKind;
use crate::model::{Compression, Protocol, Unverified, Verdict};

impl Engine {
    /// A compression transform in `data` (the PDU, or the plaintext of a transform it was
    /// sealed in: `decrypted` is then how that transform was sealed).
    pub(super) fn compressed(
        &mut self,
        pdu: &Pdu,
        data: &[u8],
        decrypted: Option<Sealed>,
        sink: &mut Sink,
    ) {
        let rebuilt = transform::parse_compression(data)
            .map_err(CompressionError::Header)
            .and_then(|header| compression::decompress_message(&header));
        let expanded = matches!(&rebuilt, Ok(d) if d.message.starts_with(b"\xfeSMB"));
        self.analysis.summary.add_compressed(expanded);
        let why = match rebuilt {
            Ok(d) if expanded => {
                let previous = self.compression.replace(compression_of(&d));
                self.smb2_pdu(pdu, &d.message, decrypted, sink);
                self.compression = previous;
                return;
            }
            Ok(d) => format!(
                "the {} bytes it expands to are not an SMB2 message",
                d.message.len()
            ),
            Err(e) => e.to_string(),
        };
        let mut msg = self.message(pdu, Protocol::Compressed, 0, false, 0, 0, 0);
        msg.encrypted = decrypted.is_some();
        // Bytes lost from the capture are reported as such, not as a malformed header.
        let verdict = damaged(pdu.damage).unwrap_or_else(|| {
            self.problem(
                pdu.last_frame,
                pdu.ts,
                Some(pdu.conn),
                ProblemKind::MalformedCompression,
                format!("SMB2 COMPRESSION_TRANSFORM_HEADER: {why}"),
                false,
            );
            Verdict::Unverified(Unverified::Malformed)
        });
        self.emit(msg, Judged::new(verdict, None), data, sink);
    }
}

fn compression_of(d: &Decompressed) -> Compression {
    Compression {
        chained: d.chained,
        algorithms: d
            .algorithms
            .iter()
            .fold(0, |bits, a| bits | 1 << a.wire_value()),
    }
}
