//! The 2FA applications, message templates and PINs of every account, behind one lock that
//! is never held across an await. Times are the sandbox clock's (wall time), passed in.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::bodies::{
    Application, ApplicationRequest, Configuration, NewTemplate, Template as Message,
    TemplateUpdate, Verification, Verifications, Verified,
};
use super::pin::{self, Limit, DEFAULT_PIN_LENGTH, PIN_LENGTHS};
use crate::errors::Failure;
use crate::ids::random_hex;
use chrono::{DateTime, Utc};

/// What the answer of a template calls the PIN's place in `messageText`.
pub(crate) const PIN_PLACEHOLDER: &str = "{{pin}}";

/// An id in the shape of Infobip's 2FA ids: 32 upper-case hex digits.
fn new_id() -> String {
    random_hex(16).to_ascii_uppercase()
}

#[derive(Debug, Clone)]
struct App {
    account_id: String,
    id: String,
    name: String,
    enabled: bool,
    configuration: Configuration,
}

impl App {
    fn to_api(&self) -> Application {
        Application {
            application_id: self.id.clone(),
            configuration: self.configuration.clone(),
            enabled: self.enabled,
            name: self.name.clone(),
        }
    }

    /// The configuration's limits, read; a stored configuration was checked when it was set.
    fn limit(text: &str) -> Option<Limit> {
        Limit::parse(text)
    }
}

#[derive(Debug, Clone)]
struct Template {
    account_id: String,
    message: Message,
}

impl Template {
    fn app_id(&self) -> &str {
        &self.message.application_id
    }

    fn id(&self) -> &str {
        &self.message.message_id
    }
}

/// One PIN sent, as the sandbox remembers it. The PIN itself is never logged.
#[derive(Debug, Clone)]
pub(crate) struct StoredPin {
    seq: u64,
    pub account_id: String,
    pub app_id: String,
    pub msg_id: String,
    pub pin_id: String,
    pub pin: String,
    pub to: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub attempts_left: i32,
    pub verified_at: Option<DateTime<Utc>>,
    /// What the SMS says (the template's text with the PIN and placeholders in).
    text: String,
    sender: Option<String>,
    /// The SMS messages that carried it, oldest first.
    pub sms_message_ids: Vec<String>,
}

/// An SMS a send or resend asks the SMS store to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub pin_id: String,
    pub to: String,
    pub text: String,
    pub sender: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    apps: Vec<App>,
    templates: Vec<Template>,
    pins: Vec<StoredPin>,
    next_seq: u64,
    /// Sends and resends admitted, per application, then per (application, number).
    sends_per_app: HashMap<String, VecDeque<DateTime<Utc>>>,
    sends_per_number: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
    /// Verifications admitted per (application, number).
    verifies: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
}

/// Counts a call against `limit` in `calls`, or answers a 429 with the seconds to wait.
fn take(
    calls: &mut VecDeque<DateTime<Utc>>,
    limit: Limit,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), Failure> {
    while calls.front().is_some_and(|t| now - *t >= limit.window) {
        calls.pop_front();
    }
    if calls.len() >= limit.count {
        let wait = calls
            .front()
            .map_or(limit.window, |oldest| limit.window - (now - *oldest));
        let seconds = u64::try_from(wait.num_milliseconds().max(0)).unwrap_or(0);
        let mut failure = Failure::too_many(seconds.div_ceil(1000));
        failure.text = format!("Too many requests: {what}");
        return Err(failure);
    }
    calls.push_back(now);
    Ok(())
}

/// Checks a configuration's settings, each violation with its property path.
pub(crate) fn configuration_problems(configuration: &Configuration) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let at = |name: &str| format!("configuration.{name}");
    if configuration.pin_attempts < 1 {
        problems.push((at("pinAttempts"), "must be at least 1".to_owned()));
    }
    if pin::parse_duration(&configuration.pin_time_to_live).is_none() {
        problems.push((
            at("pinTimeToLive"),
            "must be a time length such as 15m (units ms, s, m, h, d)".to_owned(),
        ));
    }
    for (name, value) in [
        ("verifyPinLimit", &configuration.verify_pin_limit),
        (
            "sendPinPerApplicationLimit",
            &configuration.send_pin_per_application_limit,
        ),
        (
            "sendPinPerPhoneNumberLimit",
            &configuration.send_pin_per_phone_number_limit,
        ),
    ] {
        if Limit::parse(value).is_none() {
            problems.push((
                at(name),
                "must be a limit such as 3/1d: a count, `/`, a time length".to_owned(),
            ));
        }
    }
    problems
}

/// A template's rules beyond the description's (which checks `pinType`'s values).
fn template_problems(message_text: Option<&str>, pin_length: Option<i32>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if let Some(text) = message_text {
        if !text.contains(PIN_PLACEHOLDER) {
            problems.push((
                "messageText".to_owned(),
                format!("must contain the PIN placeholder {PIN_PLACEHOLDER}"),
            ));
        }
    }
    if pin_length.is_some_and(|l| !PIN_LENGTHS.contains(&l)) {
        problems.push((
            "pinLength".to_owned(),
            format!(
                "must be from {} to {}",
                PIN_LENGTHS.start(),
                PIN_LENGTHS.end()
            ),
        ));
    }
    problems
}

fn no_app(app_id: &str) -> Failure {
    Failure::not_found(format!("No 2FA application with id `{app_id}`"))
}

fn no_template(msg_id: &str) -> Failure {
    Failure::not_found(format!(
        "No message template with id `{msg_id}` in this application"
    ))
}

fn no_pin(pin_id: &str) -> Failure {
    Failure::not_found(format!("No PIN with id `{pin_id}`"))
}

/// The longest text a PIN's SMS may have once its placeholders are filled in: what one
/// request to the sandbox may carry. A template that repeats a placeholder multiplies the
/// value given for it, and would otherwise turn one send into gigabytes.
const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// The template's text with the PIN and the request's placeholders (`{{name}}`) in, in one
/// pass over the text: a value is not searched for placeholders in turn, so what it holds
/// stays as given, whatever order the map lists its names in. `None` for a text longer than
/// [`MAX_TEXT_BYTES`].
fn render(text: &str, pin: &str, placeholders: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let token = rest[2..].find("}}").map(|end| &rest[..end + 4]);
        let value = token.and_then(|token| match token {
            PIN_PLACEHOLDER => Some(pin),
            _ => placeholders
                .get(&token[2..token.len() - 2])
                .map(String::as_str),
        });
        match (token, value) {
            (Some(token), Some(value)) => {
                out.push_str(value);
                rest = &rest[token.len()..];
            }
            // Not a placeholder: a `{{{pin}}}` still has one a brace further on.
            _ => {
                out.push('{');
                rest = &rest[1..];
            }
        }
        if out.len() > MAX_TEXT_BYTES {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= MAX_TEXT_BYTES).then_some(out)
}

/// The answer to a send or resend whose text [`render`] refused.
fn too_long() -> Failure {
    Failure::invalid(
        "placeholders",
        format!(
            "would make the message longer than {} MiB once filled in",
            MAX_TEXT_BYTES / (1024 * 1024)
        ),
    )
}

/// What a send asks of the store.
#[derive(Debug)]
pub(crate) struct StartPin<'a> {
    pub account_id: &'a str,
    pub app_id: &'a str,
    pub msg_id: &'a str,
    pub to: &'a str,
    pub from: Option<&'a str>,
    pub placeholders: &'a HashMap<String, String>,
}

/// The 2FA product's state.
#[derive(Debug, Default)]
pub(crate) struct TwoFactorStore {
    inner: Mutex<Inner>,
}

impl TwoFactorStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- applications -------------------------------------------------------------------

    pub fn list_apps(&self, account_id: &str) -> Vec<Application> {
        self.lock()
            .apps
            .iter()
            .filter(|a| a.account_id == account_id)
            .map(App::to_api)
            .collect()
    }

    pub fn create_app(
        &self,
        account_id: &str,
        request: ApplicationRequest,
    ) -> Result<Application, Failure> {
        let configuration = request.configuration.unwrap_or_default();
        let problems = configuration_problems(&configuration);
        if !problems.is_empty() {
            return Err(Failure::violations(problems));
        }
        let app = App {
            account_id: account_id.to_owned(),
            id: new_id(),
            name: request.name,
            enabled: request.enabled.unwrap_or(true),
            configuration,
        };
        let api = app.to_api();
        self.lock().apps.push(app);
        Ok(api)
    }

    pub fn get_app(&self, account_id: &str, app_id: &str) -> Result<Application, Failure> {
        self.lock()
            .apps
            .iter()
            .find(|a| a.account_id == account_id && a.id == app_id)
            .map(App::to_api)
            .ok_or_else(|| no_app(app_id))
    }

    /// The name is replaced; a `configuration` or `enabled` given replaces the stored one
    /// (a configuration's omitted settings take their defaults), an omitted one is kept.
    pub fn update_app(
        &self,
        account_id: &str,
        app_id: &str,
        request: ApplicationRequest,
    ) -> Result<Application, Failure> {
        if let Some(configuration) = &request.configuration {
            let problems = configuration_problems(configuration);
            if !problems.is_empty() {
                return Err(Failure::violations(problems));
            }
        }
        let mut inner = self.lock();
        let app = inner
            .apps
            .iter_mut()
            .find(|a| a.account_id == account_id && a.id == app_id)
            .ok_or_else(|| no_app(app_id))?;
        app.name = request.name;
        if let Some(enabled) = request.enabled {
            app.enabled = enabled;
        }
        if let Some(configuration) = request.configuration {
            app.configuration = configuration;
        }
        Ok(app.to_api())
    }

    fn has_app(inner: &Inner, account_id: &str, app_id: &str) -> bool {
        inner
            .apps
            .iter()
            .any(|a| a.account_id == account_id && a.id == app_id)
    }

    // ---- templates ----------------------------------------------------------------------

    pub fn list_templates(&self, account_id: &str, app_id: &str) -> Result<Vec<Message>, Failure> {
        let inner = self.lock();
        if !Self::has_app(&inner, account_id, app_id) {
            return Err(no_app(app_id));
        }
        Ok(inner
            .templates
            .iter()
            .filter(|t| t.account_id == account_id && t.app_id() == app_id)
            .map(|t| t.message.clone())
            .collect())
    }

    pub fn create_template(
        &self,
        account_id: &str,
        app_id: &str,
        request: NewTemplate,
    ) -> Result<Message, Failure> {
        let settings = request.settings;
        let problems = template_problems(Some(&request.message_text), settings.pin_length);
        let mut inner = self.lock();
        if !Self::has_app(&inner, account_id, app_id) {
            return Err(no_app(app_id));
        }
        if !problems.is_empty() {
            return Err(Failure::violations(problems));
        }
        let message = Message {
            application_id: app_id.to_owned(),
            language: settings.language,
            message_id: new_id(),
            message_text: request.message_text,
            pin_length: settings.pin_length.unwrap_or(DEFAULT_PIN_LENGTH),
            pin_placeholder: PIN_PLACEHOLDER,
            pin_type: request.pin_type,
            regional: settings.regional,
            repeat_dtmf: settings.repeat_dtmf,
            sender_id: settings.sender_id,
            speech_rate: settings.speech_rate,
            voice_name: settings.voice_name,
        };
        inner.templates.push(Template {
            account_id: account_id.to_owned(),
            message: message.clone(),
        });
        Ok(message)
    }

    pub fn get_template(
        &self,
        account_id: &str,
        app_id: &str,
        msg_id: &str,
    ) -> Result<Message, Failure> {
        let inner = self.lock();
        if !Self::has_app(&inner, account_id, app_id) {
            return Err(no_app(app_id));
        }
        inner
            .templates
            .iter()
            .find(|t| t.account_id == account_id && t.app_id() == app_id && t.id() == msg_id)
            .map(|t| t.message.clone())
            .ok_or_else(|| no_template(msg_id))
    }

    /// Each field given replaces the stored one; an omitted one is kept.
    pub fn update_template(
        &self,
        account_id: &str,
        app_id: &str,
        msg_id: &str,
        request: TemplateUpdate,
    ) -> Result<Message, Failure> {
        let settings = request.settings;
        let problems = template_problems(request.message_text.as_deref(), settings.pin_length);
        let mut inner = self.lock();
        if !Self::has_app(&inner, account_id, app_id) {
            return Err(no_app(app_id));
        }
        let template = inner
            .templates
            .iter_mut()
            .find(|t| t.account_id == account_id && t.app_id() == app_id && t.id() == msg_id)
            .ok_or_else(|| no_template(msg_id))?;
        if !problems.is_empty() {
            return Err(Failure::violations(problems));
        }
        let message = &mut template.message;
        if let Some(text) = request.message_text {
            message.message_text = text;
        }
        if let Some(pin_type) = request.pin_type {
            message.pin_type = pin_type;
        }
        if let Some(length) = settings.pin_length {
            message.pin_length = length;
        }
        macro_rules! replace {
            ($($field:ident),*) => {$(
                if settings.$field.is_some() {
                    message.$field = settings.$field;
                }
            )*};
        }
        replace!(
            language,
            regional,
            repeat_dtmf,
            sender_id,
            speech_rate,
            voice_name
        );
        Ok(message.clone())
    }

    // ---- PINs ---------------------------------------------------------------------------

    /// Makes a PIN for a send, within the application's limits, and answers the SMS to send.
    pub fn start(&self, request: &StartPin<'_>, now: DateTime<Utc>) -> Result<Outgoing, Failure> {
        let mut inner = self.lock();
        let app = inner
            .apps
            .iter()
            .find(|a| a.account_id == request.account_id && a.id == request.app_id)
            .cloned()
            .ok_or_else(|| no_app(request.app_id))?;
        let template = inner
            .templates
            .iter()
            .find(|t| {
                t.account_id == request.account_id
                    && t.app_id() == request.app_id
                    && t.id() == request.msg_id
            })
            .map(|t| t.message.clone())
            .ok_or_else(|| no_template(request.msg_id))?;
        if !app.enabled {
            return Err(Failure::invalid(
                "applicationId",
                "the application is disabled",
            ));
        }
        let pin = pin::generate(template.pin_type, template.pin_length)
            .ok_or_else(|| Failure::invalid("messageId", "the template cannot make a PIN"))?;
        let text =
            render(&template.message_text, &pin, request.placeholders).ok_or_else(too_long)?;
        Self::admit_send(&mut inner, &app, request.to, now)?;
        let ttl = pin::parse_duration(&app.configuration.pin_time_to_live).unwrap_or_default();
        let sender = request
            .from
            .map(str::to_owned)
            .or_else(|| template.sender_id.clone());
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let stored = StoredPin {
            seq,
            account_id: request.account_id.to_owned(),
            app_id: app.id.clone(),
            msg_id: request.msg_id.to_owned(),
            pin_id: new_id(),
            pin,
            to: request.to.to_owned(),
            sent_at: now,
            // The description bounds no `pinTimeToLive`: one that reaches past the last date
            // the calendar holds makes a PIN that never expires.
            expires_at: now
                .checked_add_signed(ttl)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            attempts_left: app.configuration.pin_attempts,
            verified_at: None,
            text,
            sender,
            sms_message_ids: Vec::new(),
        };
        let outgoing = Outgoing {
            pin_id: stored.pin_id.clone(),
            to: stored.to.clone(),
            text: stored.text.clone(),
            sender: stored.sender.clone(),
        };
        inner.pins.push(stored);
        Ok(outgoing)
    }

    /// Counts a send against the application's two send limits (both or neither).
    fn admit_send(
        inner: &mut Inner,
        app: &App,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let per_app = App::limit(&app.configuration.send_pin_per_application_limit);
        let per_number = App::limit(&app.configuration.send_pin_per_phone_number_limit);
        let key = (app.id.clone(), to.to_owned());
        if let Some(limit) = per_number {
            let calls = inner.sends_per_number.entry(key.clone()).or_default();
            take(
                calls,
                limit,
                now,
                "the application's sendPinPerPhoneNumberLimit is reached for this number",
            )?;
        }
        if let Some(limit) = per_app {
            let calls = inner.sends_per_app.entry(app.id.clone()).or_default();
            if let Err(e) = take(
                calls,
                limit,
                now,
                "the application's sendPinPerApplicationLimit is reached",
            ) {
                // The number's count is given back: the send did not happen.
                if per_number.is_some() {
                    if let Some(calls) = inner.sends_per_number.get_mut(&key) {
                        calls.pop_back();
                    }
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// The SMS to send again for a PIN still open, within the send limits. `placeholders`, if
    /// any, are put in the template's text afresh.
    pub fn resend(
        &self,
        account_id: &str,
        pin_id: &str,
        placeholders: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Outgoing, Failure> {
        let mut inner = self.lock();
        let stored = inner
            .pins
            .iter()
            .find(|p| p.account_id == account_id && p.pin_id == pin_id)
            .cloned()
            .ok_or_else(|| no_pin(pin_id))?;
        if now >= stored.expires_at {
            return Err(Failure::bad_request("The PIN has expired: send a new one"));
        }
        if stored.attempts_left <= 0 {
            return Err(Failure::bad_request(
                "The PIN has no verification attempts left: send a new one",
            ));
        }
        if stored.verified_at.is_some() {
            return Err(Failure::bad_request("The PIN is already verified"));
        }
        let app = inner
            .apps
            .iter()
            .find(|a| a.id == stored.app_id)
            .cloned()
            .ok_or_else(|| no_app(&stored.app_id))?;
        let text = if placeholders.is_empty() {
            stored.text.clone()
        } else {
            let template = inner
                .templates
                .iter()
                .find(|t| t.app_id() == stored.app_id && t.id() == stored.msg_id)
                .map_or_else(
                    || PIN_PLACEHOLDER.to_owned(),
                    |t| t.message.message_text.clone(),
                );
            render(&template, &stored.pin, placeholders).ok_or_else(too_long)?
        };
        Self::admit_send(&mut inner, &app, &stored.to, now)?;
        Ok(Outgoing {
            pin_id: stored.pin_id,
            to: stored.to,
            text,
            sender: stored.sender,
        })
    }

    /// Notes the SMS message that carried a PIN.
    pub fn sent_as(&self, pin_id: &str, sms_message_id: String) {
        if let Some(pin) = self.lock().pins.iter_mut().find(|p| p.pin_id == pin_id) {
            pin.sms_message_ids.push(sms_message_id);
        }
    }

    /// Checks `given` against the PIN: see the crate's notes for the order of the rules.
    pub fn verify(
        &self,
        account_id: &str,
        pin_id: &str,
        given: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, Failure> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let stored = inner
            .pins
            .iter_mut()
            .find(|p| p.account_id == account_id && p.pin_id == pin_id)
            .ok_or_else(|| no_pin(pin_id))?;
        let app = inner
            .apps
            .iter()
            .find(|a| a.id == stored.app_id)
            .ok_or_else(|| no_app(&stored.app_id))?;
        if let Some(limit) = App::limit(&app.configuration.verify_pin_limit) {
            let calls = inner
                .verifies
                .entry((app.id.clone(), stored.to.clone()))
                .or_default();
            take(
                calls,
                limit,
                now,
                "the application's verifyPinLimit is reached for this number",
            )?;
        }
        let mut verified = false;
        let error = if stored.attempts_left <= 0 {
            Some("NO_MORE_PIN_ATTEMPTS")
        } else if now >= stored.expires_at {
            Some("PIN_EXPIRED")
        } else if stored.verified_at.is_some()
            && !app.configuration.allow_multiple_pin_verifications
        {
            return Err(Failure::bad_request(
                "The PIN is already verified, and the application does not allow multiple \
                 verifications (allowMultiplePinVerifications)",
            ));
        } else if given == stored.pin {
            stored.verified_at.get_or_insert(now);
            verified = true;
            None
        } else {
            stored.attempts_left -= 1;
            Some("WRONG_PIN")
        };
        Ok(Verified {
            attempts_remaining: stored.attempts_left.max(0),
            msisdn: stored.to.clone(),
            pin_error: error,
            pin_id: stored.pin_id.clone(),
            verified,
        })
    }

    /// The PINs of an application sent to `msisdn`, newest first.
    pub fn verifications(
        &self,
        account_id: &str,
        app_id: &str,
        msisdn: &str,
        verified: Option<bool>,
        sent: Option<bool>,
    ) -> Result<Verifications, Failure> {
        let inner = self.lock();
        if !Self::has_app(&inner, account_id, app_id) {
            return Err(no_app(app_id));
        }
        let mut pins: Vec<&StoredPin> = inner
            .pins
            .iter()
            .filter(|p| p.account_id == account_id && p.app_id == app_id && p.to == msisdn)
            .filter(|p| verified.is_none_or(|v| v == p.verified_at.is_some()))
            // Every PIN the sandbox keeps was sent.
            .filter(|_| sent.is_none_or(|s| s))
            .collect();
        pins.sort_by_key(|p| std::cmp::Reverse((p.sent_at, p.seq)));
        let verifications = pins
            .into_iter()
            .map(|p| Verification {
                msisdn: p.to.clone(),
                sent_at: p.sent_at.timestamp_millis(),
                verified: p.verified_at.is_some(),
                verified_at: p.verified_at.map(|t| t.timestamp_millis()),
            })
            .collect();
        Ok(Verifications { verifications })
    }

    /// A PIN by id, in the caller's account when one is given.
    pub fn pin(&self, account_id: Option<&str>, pin_id: &str) -> Option<StoredPin> {
        self.lock()
            .pins
            .iter()
            .find(|p| p.pin_id == pin_id && account_id.is_none_or(|a| a == p.account_id))
            .cloned()
    }

    /// The newest PIN sent to `to`, of any account.
    pub fn last_pin(&self, to: &str) -> Option<StoredPin> {
        self.lock()
            .pins
            .iter()
            .filter(|p| p.to == to)
            .max_by_key(|p| (p.sent_at, p.seq))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_the_pin_cannot_be_overridden() {
        let placeholders = HashMap::from([
            ("name".to_owned(), "Ada".to_owned()),
            ("pin".to_owned(), "0000".to_owned()),
        ]);
        assert_eq!(
            render("Hi {{name}}, your code is {{pin}}", "4821", &placeholders).as_deref(),
            Some("Hi Ada, your code is 4821")
        );
    }

    /// Each placeholder is filled in once, in the template's text only: a value that names
    /// another placeholder stays as it was given, whatever order the map iterates in.
    #[test]
    fn a_placeholders_value_is_not_filled_in_again() {
        let text: String = (0..16).map(|i| format!("{{{{a{i}}}}}")).collect();
        let placeholders: HashMap<String, String> = (0..16)
            .flat_map(|i| {
                [
                    (format!("a{i}"), format!("{{{{b{i}}}}}")),
                    (format!("b{i}"), "X".to_owned()),
                ]
            })
            .collect();
        let expected: String = (0..16).map(|i| format!("{{{{b{i}}}}}")).collect();
        assert_eq!(render(&text, "4821", &placeholders), Some(expected));
        assert_eq!(
            render("{{{pin}}} {{x}} {{", "4821", &HashMap::new()).as_deref(),
            Some("{4821} {{x}} {{")
        );
    }

    /// A template that repeats a placeholder multiplies its value: a send whose text would
    /// outgrow what one request may carry is refused, before it counts against any limit.
    #[test]
    fn a_send_whose_text_would_outgrow_a_request_is_refused() {
        let store = TwoFactorStore::default();
        let app = serde_json::from_value(serde_json::json!({
            "name": "app",
            "configuration": {"sendPinPerPhoneNumberLimit": "1/1d"}
        }))
        .unwrap();
        let app = store.create_app("acc", app).unwrap();
        let template = serde_json::from_value(serde_json::json!({
            "messageText": format!("{{{{pin}}}}{}", "{{a}}".repeat(1000)),
            "pinType": "NUMERIC"
        }))
        .unwrap();
        let template = store
            .create_template("acc", &app.application_id, template)
            .unwrap();
        let huge = HashMap::from([("a".to_owned(), "x".repeat(2000))]);
        let start = |placeholders| StartPin {
            account_id: "acc",
            app_id: &app.application_id,
            msg_id: &template.message_id,
            to: "41793026727",
            from: None,
            placeholders,
        };
        let now = Utc::now();
        let refused = store.start(&start(&huge), now).unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(refused.violations[0].0, "placeholders");
        let small = HashMap::from([("a".to_owned(), "x".to_owned())]);
        assert!(store.start(&start(&small), now).is_ok(), "not counted");
    }

    /// The description bounds no `pinTimeToLive`; one that reaches past the last date the
    /// calendar holds is a PIN that never expires, not a panic in the send.
    #[test]
    fn a_pin_time_to_live_beyond_the_calendar_never_expires() {
        let store = TwoFactorStore::default();
        let app = serde_json::from_value(serde_json::json!({
            "name": "forever",
            "configuration": {"pinTimeToLive": "99999999d"}
        }))
        .unwrap();
        let app = store.create_app("acc", app).unwrap();
        let template = serde_json::from_value(serde_json::json!({
            "messageText": "Your code is {{pin}}",
            "pinType": "NUMERIC"
        }))
        .unwrap();
        let template = store
            .create_template("acc", &app.application_id, template)
            .unwrap();
        let now = Utc::now();
        let sent = store
            .start(
                &StartPin {
                    account_id: "acc",
                    app_id: &app.application_id,
                    msg_id: &template.message_id,
                    to: "41793026727",
                    from: None,
                    placeholders: &HashMap::new(),
                },
                now,
            )
            .unwrap();
        let pin = store.pin(Some("acc"), &sent.pin_id).unwrap().pin;
        let a_century_on = now + chrono::TimeDelta::days(36_500);
        let verified = store
            .verify("acc", &sent.pin_id, &pin, a_century_on)
            .unwrap();
        assert!(verified.verified, "{:?}", verified.pin_error);
    }
}
