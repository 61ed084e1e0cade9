//! The numbers of one contact-policy profile, as the audit uses them: calling hours, the rolling
//! 7-day caps (calls, calls + texts, texts), the daily connected-call cap, the post-conversation
//! cool-down, the hardship cap, who may be contacted to locate the debtor and how often, and the
//! locate thresholds. A cap of 0 means the profile has no such cap.

use crate::engine::domain::Stage;
use crate::engine::settings::{self, Settings};

/// Who may be contacted to locate an unreachable debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdParties {
    Never,
    Locate,
    LocateWithConsent,
}

/// One profile's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub profile: String,
    /// Calling hours, seconds after local midnight, `[start, end)`; calls and texts.
    pub hours_start: u32,
    pub hours_end: u32,
    pub max_calls_7d: u32,
    pub max_contacts_7d: u32,
    pub max_sms_7d: u32,
    pub max_connected_per_day: u32,
    /// Local days, the conversation's date being day 1.
    pub cooldown_days: i32,
    /// The call cap in any rolling 7 days while the hardship flag is in force.
    pub hardship_max_calls_7d: u32,
    pub third_parties: ThirdParties,
    pub third_party_per_person: u32,
    /// Third parties only from this many days past due (never in `pre_due` or `early`).
    pub third_party_min_dpd: u32,
    pub callback_exempt: bool,
    /// Unreachable: no right-party conversation for this many local days...
    pub locate_days: i32,
    /// ...and at least this many failed calls since it.
    pub locate_failed: u32,
}

/// First days-past-due of a stage (this table is the audit's own, `domain.md`'s stages).
fn first_dpd(stage: Stage) -> u32 {
    match stage {
        Stage::Current | Stage::PreDue | Stage::Early | Stage::Mid => 6,
        Stage::Late => 19,
        Stage::M2 => 31,
        Stage::M3 => 61,
        Stage::M4Plus => 91,
    }
}

impl Rules {
    /// The rules of profile `name` in `settings`, if it has one.
    pub fn from_settings(s: &Settings, name: &str) -> Option<Rules> {
        let p = s.profiles.get(name)?;
        let min = |m: i32| (m.clamp(0, 1440) * 60) as u32;
        let hardship = if p.hardship_max_call_attempts_7d == 0 {
            p.max_call_attempts_7d
        } else {
            p.hardship_max_call_attempts_7d
        };
        Some(Rules {
            profile: name.to_owned(),
            hours_start: min(p.calling_start_min),
            hours_end: min(p.calling_end_min),
            max_calls_7d: p.max_call_attempts_7d,
            max_contacts_7d: p.max_contacts_7d,
            max_sms_7d: p.max_sms_7d,
            max_connected_per_day: p.max_connected_calls_per_day,
            cooldown_days: p.cooldown_after_conversation_days.clamp(0, 365) as i32,
            hardship_max_calls_7d: hardship,
            third_parties: match p.third_parties {
                settings::ThirdParties::Never => ThirdParties::Never,
                settings::ThirdParties::Locate => ThirdParties::Locate,
                settings::ThirdParties::LocateWithConsent => ThirdParties::LocateWithConsent,
            },
            third_party_per_person: p.third_party_attempts_per_person,
            third_party_min_dpd: first_dpd(p.third_party_from_stage),
            callback_exempt: p.callback_exempt_from_caps,
            locate_days: s
                .raw
                .policy
                .locate_after_days_without_contact
                .clamp(0, 3650) as i32,
            locate_failed: s.raw.policy.locate_min_failed_attempts,
        })
    }

    /// The shipped profile `name`, if the shipped configuration has it.
    pub fn shipped(name: &str) -> Option<Rules> {
        Rules::from_settings(&Settings::defaults(), name)
    }
}
