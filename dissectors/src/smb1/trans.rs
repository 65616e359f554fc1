//! The transaction commands (TRANSACTION, TRANSACTION2, NT_TRANSACT and their
//! secondaries; MS-CIFS 2.2.4.33, 2.2.4.34, 2.2.4.46, 2.2.4.62, 2.2.4.63): the counts
//! and displacements that tell whether a message is one part of several.

use super::{
    Block, COM_NT_TRANSACT, COM_NT_TRANSACT_SECONDARY, COM_TRANSACTION_SECONDARY,
    COM_TRANSACTION2_SECONDARY, Header,
};
use crate::error::Result;
use crate::util::{bytes, u8_, u16_, u32_};

/// Which transaction message a [`Transaction`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// TRANSACTION / TRANSACTION2 / NT_TRANSACT primary request.
    Request,
    /// A secondary request.
    Secondary,
    /// A (possibly partial) response.
    Response,
    /// The interim response to a primary request (WordCount 0): "send the rest".
    Interim,
}

/// The counts of a transaction message (MS-CIFS 2.2.4.33, 2.2.4.34, 2.2.4.46, 2.2.4.62,
/// 2.2.4.63), enough to know whether it is one part of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// Which message.
    pub kind: TransactionKind,
    /// TotalParameterCount.
    pub total_parameter_count: u32,
    /// TotalDataCount.
    pub total_data_count: u32,
    /// ParameterCount (in this message).
    pub parameter_count: u32,
    /// ParameterOffset.
    pub parameter_offset: u32,
    /// ParameterDisplacement (0 for a primary request).
    pub parameter_displacement: u32,
    /// DataCount (in this message).
    pub data_count: u32,
    /// DataOffset.
    pub data_offset: u32,
    /// DataDisplacement.
    pub data_displacement: u32,
    /// Setup words (raw).
    pub setup: &'a [u8],
    /// NT_TRANSACT Function (0 otherwise).
    pub function: u16,
}

impl Transaction<'_> {
    /// True unless this message carries all the parameters and data by itself.
    pub fn is_partial(&self) -> bool {
        match self.kind {
            TransactionKind::Interim => true,
            _ => {
                self.parameter_displacement != 0
                    || self.data_displacement != 0
                    || self.parameter_count < self.total_parameter_count
                    || self.data_count < self.total_data_count
            }
        }
    }
    /// The first TRANS2 subcommand (setup word 0).
    pub fn subcommand(&self) -> Option<u16> {
        let b = self.setup.first_chunk()?;
        Some(u16::from_le_bytes(*b))
    }
}

/// Parse any transaction message block (`h` tells request from response).
pub fn parse_transaction<'a>(h: &Header<'_>, b: &Block<'a>) -> Result<Transaction<'a>> {
    let w = b.words;
    let z = |kind| Transaction {
        kind,
        total_parameter_count: 0,
        total_data_count: 0,
        parameter_count: 0,
        parameter_offset: 0,
        parameter_displacement: 0,
        data_count: 0,
        data_offset: 0,
        data_displacement: 0,
        setup: &[],
        function: 0,
    };
    let resp = h.is_response();
    if resp && b.word_count == 0 {
        return Ok(z(TransactionKind::Interim));
    }
    let nt = matches!(b.command, COM_NT_TRANSACT | COM_NT_TRANSACT_SECONDARY);
    let secondary = !resp
        && matches!(
            b.command,
            COM_TRANSACTION_SECONDARY | COM_TRANSACTION2_SECONDARY | COM_NT_TRANSACT_SECONDARY
        );
    if nt {
        if !resp && !secondary {
            let (i, _max_setup) = u8_(w)?;
            let (i, _reserved) = u16_(i)?;
            let (i, tpc) = u32_(i)?;
            let (i, tdc) = u32_(i)?;
            let (i, _mpc) = u32_(i)?;
            let (i, _mdc) = u32_(i)?;
            let (i, pc) = u32_(i)?;
            let (i, po) = u32_(i)?;
            let (i, dc) = u32_(i)?;
            let (i, d_o) = u32_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, function) = u16_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            return Ok(Transaction {
                kind: TransactionKind::Request,
                total_parameter_count: tpc,
                total_data_count: tdc,
                parameter_count: pc,
                parameter_offset: po,
                parameter_displacement: 0,
                data_count: dc,
                data_offset: d_o,
                data_displacement: 0,
                setup,
                function,
            });
        }
        // NT_TRANSACT response and NT_TRANSACT_SECONDARY share this layout
        let (i, _reserved) = bytes(w, 3)?;
        let (i, tpc) = u32_(i)?;
        let (i, tdc) = u32_(i)?;
        let (i, pc) = u32_(i)?;
        let (i, po) = u32_(i)?;
        let (i, pd) = u32_(i)?;
        let (i, dc) = u32_(i)?;
        let (i, d_o) = u32_(i)?;
        let (i, dd) = u32_(i)?;
        let setup = if resp {
            let (i, setup_count) = u8_(i)?;
            bytes(i, usize::from(setup_count) * 2)?.1
        } else {
            &[]
        };
        return Ok(Transaction {
            kind: if resp {
                TransactionKind::Response
            } else {
                TransactionKind::Secondary
            },
            total_parameter_count: tpc,
            total_data_count: tdc,
            parameter_count: pc,
            parameter_offset: po,
            parameter_displacement: pd,
            data_count: dc,
            data_offset: d_o,
            data_displacement: dd,
            setup,
            function: 0,
        });
    }
    let (i, tpc) = u16_(w)?;
    let (i, tdc) = u16_(i)?;
    let mut t = z(if resp {
        TransactionKind::Response
    } else if secondary {
        TransactionKind::Secondary
    } else {
        TransactionKind::Request
    });
    t.total_parameter_count = tpc.into();
    t.total_data_count = tdc.into();
    match t.kind {
        TransactionKind::Request => {
            let (i, _mpc) = u16_(i)?;
            let (i, _mdc) = u16_(i)?;
            let (i, _msc) = u8_(i)?;
            let (i, _r1) = u8_(i)?;
            let (i, _flags) = u16_(i)?;
            let (i, _timeout) = u32_(i)?;
            let (i, _r2) = u16_(i)?;
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, _r3) = u8_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.setup = setup;
        }
        TransactionKind::Secondary => {
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, pd) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (_, dd) = u16_(i)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.parameter_displacement = pd.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.data_displacement = dd.into();
        }
        TransactionKind::Response | TransactionKind::Interim => {
            let (i, _r1) = u16_(i)?;
            let (i, pc) = u16_(i)?;
            let (i, po) = u16_(i)?;
            let (i, pd) = u16_(i)?;
            let (i, dc) = u16_(i)?;
            let (i, d_o) = u16_(i)?;
            let (i, dd) = u16_(i)?;
            let (i, setup_count) = u8_(i)?;
            let (i, _r2) = u8_(i)?;
            let (_, setup) = bytes(i, usize::from(setup_count) * 2)?;
            t.parameter_count = pc.into();
            t.parameter_offset = po.into();
            t.parameter_displacement = pd.into();
            t.data_count = dc.into();
            t.data_offset = d_o.into();
            t.data_displacement = dd.into();
            t.setup = setup;
        }
    }
    Ok(t)
}
