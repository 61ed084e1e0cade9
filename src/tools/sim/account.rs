//! One simulated account's true, changing state: its money ledger (kept with the same allocation
//! rule the engine uses: net payments fill statements oldest first, each up to its `amount_due`,
//! then fees), contacts, flags in force, contact ledger, pending promise, and the agenda of things
//! that will happen to it (next statement, due-date check, planned payment or reversal, rare event,
//! follow-ups).

use super::traits::Role;

/// Account flags, in the contract's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    DeceasedReported,
    DeceasedVerified,
    Dispute,
    Complaint,
    Bankruptcy,
    CeaseContact,
    Hardship,
    Fraud,
    LegalHold,
    BreathingSpace,
    /// Applies to one contact number only.
    DoNotCall,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::DeceasedReported => "deceased_reported",
            Flag::DeceasedVerified => "deceased_verified",
            Flag::Dispute => "dispute",
            Flag::Complaint => "complaint",
            Flag::Bankruptcy => "bankruptcy",
            Flag::CeaseContact => "cease_contact",
            Flag::Hardship => "hardship",
            Flag::Fraud => "fraud",
            Flag::LegalHold => "legal_hold",
            Flag::BreathingSpace => "breathing_space",
            Flag::DoNotCall => "do_not_call",
        }
    }

    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Flags under which no contact at all is allowed.
    pub const HOLDS: u16 = (1 << Flag::DeceasedReported as u16)
        | (1 << Flag::DeceasedVerified as u16)
        | (1 << Flag::Dispute as u16)
        | (1 << Flag::Complaint as u16)
        | (1 << Flag::Bankruptcy as u16)
        | (1 << Flag::Fraud as u16)
        | (1 << Flag::LegalHold as u16)
        | (1 << Flag::BreathingSpace as u16);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeeKind {
    LateFee,
    FailedDebit,
    Interest,
}

impl FeeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeKind::LateFee => "late_fee",
            FeeKind::FailedDebit => "failed_debit",
            FeeKind::Interest => "interest",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    PaidOff,
    ChargedOff,
    Sold,
    Other,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::PaidOff => "paid_off",
            CloseReason::ChargedOff => "charged_off",
            CloseReason::Sold => "sold",
            CloseReason::Other => "other",
        }
    }
}

/// One statement still (partly) relevant to allocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stmt {
    pub due: i32,
    pub amount: i64,
    pub min: i64,
}

/// Money owed, with the engine's allocation rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ledger {
    /// Statements in due-date order; fully paid ones at the front are dropped when safe.
    pub stmts: Vec<Stmt>,
    /// Net paid, less the amounts of dropped statements.
    pub paid: i64,
    /// Fees charged and not absorbed by dropped statements.
    pub fees: i64,
}

/// What is overdue on a given local day.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Arrears {
    pub overdue: i64,
    pub oldest_due: Option<i32>,
    pub missed: u32,
}

impl Ledger {
    pub fn owed(&self) -> i64 {
        self.stmts.iter().map(|s| s.amount).sum::<i64>() + self.fees - self.paid
    }

    pub fn arrears(&self, today: i32) -> Arrears {
        let mut left = self.paid.max(0);
        let mut a = Arrears::default();
        for s in &self.stmts {
            let alloc = left.min(s.amount);
            left -= alloc;
            if s.due < today && alloc < s.min {
                a.overdue += s.min - alloc;
                a.missed += 1;
                a.oldest_due.get_or_insert(s.due);
            }
        }
        a
    }

    pub fn dpd(&self, today: i32) -> u32 {
        self.arrears(today)
            .oldest_due
            .map_or(0, |d| (today - d).max(0) as u32)
    }

    /// Whether the statement due on `due` has its minimum covered.
    pub fn covered(&self, due: i32) -> bool {
        let mut left = self.paid.max(0);
        for s in &self.stmts {
            let alloc = left.min(s.amount);
            left -= alloc;
            if s.due == due {
                return alloc >= s.min;
            }
        }
        true
    }

    /// What must still be paid so that every statement due on or before `upto` is covered.
    pub fn to_cover(&self, upto: i32) -> i64 {
        let (mut cum, mut need) = (0i64, 0i64);
        for s in self.stmts.iter().take_while(|s| s.due <= upto) {
            need = need.max(cum + s.min);
            cum += s.amount;
        }
        (need - self.paid).max(0)
    }

    /// Drops fully paid statements at the front (only when no reversal can reopen them).
    pub fn compact(&mut self) {
        let n = self
            .stmts
            .iter()
            .scan(0i64, |cum, s| {
                *cum += s.amount;
                Some(*cum)
            })
            .take_while(|&cum| cum <= self.paid)
            .count();
        if n > 0 {
            let dropped: i64 = self.stmts[..n].iter().map(|s| s.amount).sum();
            self.stmts.drain(..n);
            self.paid -= dropped;
        }
    }
}

/// A contact of the account, with what the world knows about the number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactState {
    pub role: Role,
    pub consent: bool,
    pub informed: bool,
    /// Listed in the account's current contact list.
    pub active: bool,
    /// Hidden: the number now reaches someone else.
    pub wrong: bool,
    /// Hidden: the number is disconnected.
    pub invalid: bool,
    /// Public: a do-not-call flag is in force on this number.
    pub dnc: bool,
    /// Public: a call found the number wrong or invalid.
    pub known_bad: bool,
    /// The phone number's key (see `traits::phone`): two contacts with the same key share one
    /// number (a spouse on the debtor's phone, a contact re-keyed under a new id).
    pub number: u8,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum PayMode {
    /// Enough to cover everything past due and the statement due next.
    Cure,
    /// Everything billed so far.
    Statement,
    /// Just the minimum of what is due.
    Minimum,
    /// A share (per mille) of what would cure.
    Partial(u16),
    /// A fixed amount (a promise).
    Fixed(i64),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PayPlan {
    pub at: i64,
    pub mode: PayMode,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ReversalPlan {
    pub at: i64,
    pub payment_no: u32,
    pub amount: i64,
}

/// A promise in force (for the world's kept/broken statistics).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PromiseState {
    pub amount: i64,
    pub made_at: i64,
    /// End of the grace day: kept if payments reach the amount before this instant.
    pub deadline: i64,
    pub paid: i64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Follow {
    PromiseMade {
        amount: i64,
        due: i32,
        confirmed: bool,
        contact: u8,
    },
    /// The grace period of the promise in force ends.
    PromiseCheck,
    FlagSet(Flag, u8),
    FlagClear(Flag, u8),
    Fee(FeeKind, i64),
    /// The debtor's number is replaced by a new contact (account_updated).
    NewNumber,
    Close(CloseReason),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Followup {
    pub at: i64,
    pub what: Follow,
}

pub(crate) const NEVER: i64 = i64::MAX;
const CALL_RING: usize = 8;
const RPC_RING: usize = 4;

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub ledger: Ledger,
    pub contacts: Vec<ContactState>,
    /// Flags in force (public), see [`Flag::bit`].
    pub flags: u16,
    /// Hidden: the debtor has died.
    pub dead: bool,
    pub opened: bool,
    pub closed: Option<CloseReason>,
    pub instalments_left: u16,
    /// The lender knows the payday (published in the profile).
    pub payday_public: bool,

    // Agenda (instants; NEVER when nothing is planned).
    pub next_at: i64,
    pub open_at: i64,
    pub statement_at: i64,
    pub statement_due: i32,
    pub due_check_at: i64,
    pub due_check_due: i32,
    pub pay: Option<PayPlan>,
    /// The debtor's own plan set aside by an earlier, smaller one (a promise's); it comes back
    /// when that one falls due (calibrated model only; always `None` in the legacy model).
    pub pay_next: Option<PayPlan>,
    pub reversal: Option<ReversalPlan>,
    pub rare_at: i64,
    pub followups: Vec<Followup>,

    pub promise: Option<PromiseState>,
    pub promise_due: Option<i32>,
    pub callback_at: i64,

    // Contact ledger (what the world itself saw).
    calls: [i64; CALL_RING],
    calls_n: u32,
    pub last_rpc_at: i64,
    pub last_rpc_day: i32,
    pub failed_since_rpc: u16,
    /// When the last promise in force was broken (`NEVER` if none was).
    pub broken_at: i64,
    rpcs: [i64; RPC_RING],
    rpcs_n: u32,
    pub third_party_called: u16,
    pub last_letter_at: i64,
    texts: [i64; CALL_RING],
    texts_n: u32,
    /// Debtor-local day and count of the connected (answered) calls on it.
    pub connected_day: i32,
    pub connected_n: u32,
    /// Third-party calls and texts per phone-number key.
    pub third_party_by_number: [u8; 32],

    // Id counters.
    pub events: u32,
    pub statements: u16,
    pub payments: u32,
    pub fees: u16,
    pub promises: u16,
    pub attempts: u32,
    /// Last payment (number, amount) that a reversal could refer to.
    pub last_payment: Option<(u32, i64)>,
    pub rng_steps: u32,
}

impl Account {
    pub fn new(open_at: i64) -> Account {
        Account {
            ledger: Ledger::default(),
            contacts: Vec::new(),
            flags: 0,
            dead: false,
            opened: false,
            closed: None,
            instalments_left: 0,
            payday_public: false,
            next_at: open_at,
            open_at,
            statement_at: NEVER,
            statement_due: 0,
            due_check_at: NEVER,
            due_check_due: 0,
            pay: None,
            pay_next: None,
            reversal: None,
            rare_at: NEVER,
            followups: Vec::new(),
            promise: None,
            promise_due: None,
            callback_at: NEVER,
            calls: [0; CALL_RING],
            calls_n: 0,
            last_rpc_at: NEVER,
            last_rpc_day: i32::MIN,
            failed_since_rpc: 0,
            broken_at: NEVER,
            rpcs: [0; RPC_RING],
            rpcs_n: 0,
            third_party_called: 0,
            last_letter_at: NEVER,
            texts: [0; CALL_RING],
            texts_n: 0,
            connected_day: i32::MIN,
            connected_n: 0,
            third_party_by_number: [0; 32],
            events: 0,
            statements: 0,
            payments: 0,
            fees: 0,
            promises: 0,
            attempts: 0,
            last_payment: None,
            rng_steps: 0,
        }
    }

    pub fn has(&self, flag: Flag) -> bool {
        self.flags & flag.bit() != 0
    }

    pub fn hold(&self) -> bool {
        self.flags & Flag::HOLDS != 0
    }

    /// Recomputes `next_at` from the agenda.
    pub fn refresh_next(&mut self) {
        let mut n = self
            .open_at
            .min(self.statement_at)
            .min(self.due_check_at)
            .min(self.rare_at);
        if let Some(p) = self.pay {
            n = n.min(p.at);
        }
        if let Some(r) = self.reversal {
            n = n.min(r.at);
        }
        if let Some(f) = self.followups.iter().map(|f| f.at).min() {
            n = n.min(f);
        }
        self.next_at = n;
    }

    /// Schedules a follow-up.
    pub fn follow(&mut self, at: i64, what: Follow) {
        self.followups.push(Followup { at, what });
        self.next_at = self.next_at.min(at);
    }

    /// Records a call attempt at `at` (for the rolling 7-day count).
    pub fn record_call(&mut self, at: i64) {
        self.calls[self.calls_n as usize % CALL_RING] = at;
        self.calls_n += 1;
    }

    /// Call attempts recorded in `(from, to]`, counting at most the last 8.
    pub fn calls_between(&self, from: i64, to: i64) -> u32 {
        let n = (self.calls_n as usize).min(CALL_RING);
        self.calls[..n]
            .iter()
            .filter(|&&t| t > from && t <= to)
            .count() as u32
    }

    /// Records a text at `at` (for the rolling 7-day counts).
    pub fn record_text(&mut self, at: i64) {
        self.texts[self.texts_n as usize % CALL_RING] = at;
        self.texts_n += 1;
    }

    /// Texts recorded in `(from, to]`, counting at most the last 8.
    pub fn texts_between(&self, from: i64, to: i64) -> u32 {
        let n = (self.texts_n as usize).min(CALL_RING);
        self.texts[..n]
            .iter()
            .filter(|&&t| t > from && t <= to)
            .count() as u32
    }

    /// Records a right-party conversation at `at`.
    pub fn record_rpc(&mut self, at: i64) {
        self.rpcs[self.rpcs_n as usize % RPC_RING] = at;
        self.rpcs_n += 1;
    }

    /// Right-party conversations recorded in `(from, before)`, counting at most the last 4.
    pub fn rpcs_between(&self, from: i64, before: i64) -> u32 {
        let n = (self.rpcs_n as usize).min(RPC_RING);
        self.rpcs[..n]
            .iter()
            .filter(|&&t| t > from && t < before)
            .count() as u32
    }

    /// Records an answered call on debtor-local day `day`.
    pub fn record_connected(&mut self, day: i32) {
        if self.connected_day != day {
            self.connected_day = day;
            self.connected_n = 0;
        }
        self.connected_n += 1;
    }

    /// Answered calls on debtor-local day `day`.
    pub fn connected_on(&self, day: i32) -> u32 {
        if self.connected_day == day {
            self.connected_n
        } else {
            0
        }
    }

    /// Whether a do-not-call flag is in force on phone number `number`, under any contact id.
    pub fn number_dnc(&self, number: u8) -> bool {
        self.contacts.iter().any(|c| c.number == number && c.dnc)
    }

    /// Third-party calls and texts so far to phone number `number`.
    pub fn third_party_attempts(&self, number: u8) -> u8 {
        self.third_party_by_number
            .get(number as usize)
            .copied()
            .unwrap_or(u8::MAX)
    }

    /// Records a third-party call or text to contact `c` (by index and by number).
    pub fn record_third_party(&mut self, c: usize) {
        self.third_party_called |= 1 << c;
        let n = self.contacts[c].number as usize;
        if let Some(k) = self.third_party_by_number.get_mut(n) {
            *k = k.saturating_add(1);
        }
    }

    /// The most recent call attempt, if any.
    pub fn last_call_at(&self) -> Option<i64> {
        (self.calls_n > 0).then(|| self.calls[(self.calls_n as usize - 1) % CALL_RING])
    }

    /// Index of the debtor's current number, if listed.
    pub fn debtor_contact(&self) -> Option<usize> {
        self.contacts
            .iter()
            .rposition(|c| c.active && c.role == Role::Debtor)
    }

    /// Closes the account: nothing more is billed or paid.
    pub fn close(&mut self, reason: CloseReason) {
        self.closed = Some(reason);
        self.statement_at = NEVER;
        self.due_check_at = NEVER;
        self.pay = None;
        self.pay_next = None;
        self.rare_at = NEVER;
        self.promise = None;
        self.promise_due = None;
        self.followups
            .retain(|f| matches!(f.what, Follow::FlagClear(..) | Follow::FlagSet(..)));
        self.refresh_next();
    }
}
