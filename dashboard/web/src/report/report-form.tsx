// The citizen report form (/report): what the problem is (with the service's own questions), where (a pin
// on a small map, the phone's location, or typed coordinates), a description, photos, and optional
// contact details. "Already reported?" shows open reports of the same kind nearby before anything is
// sent. The answer is a receipt: the tracking id, the token and the status page's link.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { OPEN311_LIMITS, type Service, type ServiceAttribute } from '@city/shared/open311';
import type { NearbyReport, ReportCreatedResponse } from '@city/shared/reports';
import { AttributeField } from './attribute-field.tsx';
import {
  charCount,
  checkDraft,
  degreesText,
  distanceText,
  firstErrorField,
  groupErrors,
  insideBounds,
  localTime,
  parseDegrees,
  photoProblem,
  PHOTO_TYPES,
  sizeText,
  statusTone,
  type AttributeAnswers,
  type FieldErrors,
  type FieldKey,
  type LatLon,
} from './form-logic.ts';
import { PinMap } from './pin-map.tsx';
import {
  fetchFormConfig,
  fetchMapConfig,
  fetchNearby,
  fetchServiceDefinition,
  fetchServices,
  submitReport,
  type MapConfig,
  type ReportFormConfig,
} from './report-api.ts';

/** wait for the pin to settle before asking "already reported?" */
const NEARBY_DEBOUNCE_MS = 400;
/** how long "Use my location" waits for the phone */
const GEOLOCATION_TIMEOUT_MS = 15_000;

interface ChosenPhoto {
  id: number;
  file: File;
  /** object URL of the preview */
  url: string;
}

interface Setup {
  services: Service[];
  form: ReportFormConfig;
  map: MapConfig;
}

export function ReportPage() {
  const [setup, setSetup] = useState<Setup>();
  const [loadError, setLoadError] = useState<string>();
  const [created, setCreated] = useState<ReportCreatedResponse>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    setLoadError(undefined);
    Promise.all([fetchServices(abort.signal), fetchFormConfig(abort.signal), fetchMapConfig(abort.signal)])
      .then(([services, form, map]) => setSetup({ services, form, map }))
      .catch((err: Error) => {
        if (!abort.signal.aborted) setLoadError(err.message);
      });
    return () => abort.abort();
  }, [attempt]);

  return (
    <div className="page">
      <header className="page-head">
        <h1>Report a problem</h1>
        <p>Tell the city about a pothole, a broken street light, dumped rubbish or anything else in the street that needs fixing.</p>
      </header>
      {created ? (
        <Receipt created={created} onAnother={() => setCreated(undefined)} />
      ) : setup ? (
        <ReportForm setup={setup} onCreated={setCreated} />
      ) : loadError ? (
        <div className="card" role="alert">
          <p>The form could not be loaded: {loadError}</p>
          <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      ) : (
        <p className="card" aria-live="polite">
          Loading the form…
        </p>
      )}
    </div>
  );
}

function Receipt({ created, onAnother }: { created: ReportCreatedResponse; onAnother: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    window.scrollTo(0, 0);
    heading.current?.focus();
  }, []);
  return (
    <section className="card receipt" data-testid="receipt" aria-labelledby="receipt-title">
      <h2 id="receipt-title" ref={heading} tabIndex={-1}>
        Thank you: your report was received
      </h2>
      <dl className="facts">
        <dt>Tracking number</dt>
        <dd data-testid="receipt-id" className="mono">
          {created.service_request_id}
        </dd>
        <dt>Receipt code</dt>
        <dd data-testid="receipt-token" className="mono">
          {created.token}
        </dd>
      </dl>
      <p>
        Keep the tracking number to follow what happens to your report: its page shows the progress and anything the city adds. The receipt code proves the report is
        yours if you ask the city about it.
      </p>
      <a className="button primary" href={created.status_url} data-testid="receipt-status-link">
        Follow your report
      </a>
      <button type="button" className="button" onClick={onAnother}>
        Report another problem
      </button>
    </section>
  );
}

/** The DOM element to move the focus to for a field with a problem. */
function focusField(key: FieldKey) {
  const selector =
    key === 'service_code'
      ? '[data-testid="categories"] input'
      : key === 'location'
        ? '#lat'
        : key === 'photo'
          ? '#photos'
          : key.startsWith('attribute[')
            ? `[data-testid="attribute-${CSS.escape(key.slice('attribute['.length, -1))}"] :is(input, select, textarea)`
            : key === 'form'
              ? '#submit'
              : `#${key}`;
  const el = document.querySelector<HTMLElement>(selector);
  el?.focus();
  el?.scrollIntoView({ block: 'center' });
}

function ReportForm({ setup, onCreated }: { setup: Setup; onCreated: (created: ReportCreatedResponse) => void }) {
  const { services, form: limits, map } = setup;
  const [serviceCode, setServiceCode] = useState<string>();
  const [attributes, setAttributes] = useState<ServiceAttribute[]>([]);
  const [answers, setAnswers] = useState<AttributeAnswers>({});
  const [position, setPosition] = useState<LatLon>();
  const [addressString, setAddressString] = useState('');
  const [description, setDescription] = useState('');
  const [photos, setPhotos] = useState<ChosenPhoto[]>([]);
  const [photoNotes, setPhotoNotes] = useState<string[]>([]);
  const [contact, setContact] = useState({ email: '', phone: '', first_name: '', last_name: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [sending, setSending] = useState(false);
  const [nearby, setNearby] = useState<NearbyReport[]>();
  const [locating, setLocating] = useState<string>();
  const nextPhotoId = useRef(1);
  const service = services.find((s) => s.service_code === serviceCode);

  // the chosen service's own questions
  useEffect(() => {
    setAttributes([]);
    setAnswers({});
    if (!service?.metadata) return;
    const abort = new AbortController();
    fetchServiceDefinition(service.service_code, abort.signal)
      .then((def) => setAttributes([...def.attributes].sort((a, b) => a.order - b.order)))
      .catch((err: Error) => {
        if (!abort.signal.aborted) setErrors((e) => ({ ...e, service_code: [`The questions for this problem could not be loaded: ${err.message}`] }));
      });
    return () => abort.abort();
  }, [service]);

  // "already reported?": open reports of this kind near the pin
  useEffect(() => {
    setNearby(undefined);
    if (!serviceCode || !position || !insideBounds(position, limits.bounds)) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      fetchNearby(serviceCode, position.lat, position.lon, abort.signal)
        .then((res) => setNearby(res.reports))
        .catch(() => undefined); // only a hint: the form works without it
    }, NEARBY_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [serviceCode, position, limits.bounds]);

  // previews are object URLs: let them go with the form
  const photosRef = useRef(photos);
  photosRef.current = photos;
  useEffect(() => () => photosRef.current.forEach((p) => URL.revokeObjectURL(p.url)), []);

  const clearError = (key: FieldKey) => setErrors((e) => (e[key] ? { ...e, [key]: undefined } : e));

  const place = (p: LatLon) => {
    setPosition(p);
    clearError('location');
    setLocating(undefined);
  };

  const useMyLocation = () => {
    if (!('geolocation' in navigator)) {
      setLocating('This browser cannot tell where you are: tap the map instead.');
      return;
    }
    setLocating('Finding your location…');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const p = { lat: pos.coords.latitude, lon: pos.coords.longitude };
        if (!insideBounds(p, limits.bounds)) {
          setLocating(`You seem to be outside the area the city looks after (${limits.area_name}): tap the map where the problem is.`);
          return;
        }
        place(p);
        setLocating(`Pin placed at your location (accurate to about ${Math.round(pos.coords.accuracy)} m): drag it if needed.`);
      },
      (err) =>
        setLocating(
          err.code === err.PERMISSION_DENIED
            ? 'Location permission was refused: tap the map where the problem is instead.'
            : 'Your location could not be found: tap the map where the problem is instead.',
        ),
      { enableHighAccuracy: true, timeout: GEOLOCATION_TIMEOUT_MS, maximumAge: 60_000 },
    );
  };

  const addPhotos = (files: FileList | null) => {
    if (!files) return;
    const notes: string[] = [];
    const added: ChosenPhoto[] = [];
    for (const file of Array.from(files)) {
      const problem = photoProblem(file, limits.max_photo_bytes);
      if (problem) notes.push(problem);
      else if (photos.length + added.length >= limits.max_photos) notes.push(`${file.name}: at most ${limits.max_photos} photos can be sent`);
      else added.push({ id: nextPhotoId.current++, file, url: URL.createObjectURL(file) });
    }
    setPhotos([...photos, ...added]);
    setPhotoNotes(notes);
    clearError('photo');
  };

  const removePhoto = (id: number) => {
    const photo = photos.find((p) => p.id === id);
    if (photo) URL.revokeObjectURL(photo.url);
    setPhotos(photos.filter((p) => p.id !== id));
    setPhotoNotes([]);
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (sending) return;
    const found = checkDraft({ serviceCode, attributes, answers, position, description }, limits.bounds);
    if (Object.keys(found).length > 0) {
      setErrors(found);
      const first = firstErrorField(found, attributes.map((a) => a.code));
      if (first) focusField(first);
      return;
    }
    const body = new FormData();
    body.set('service_code', serviceCode!);
    body.set('lat', degreesText(position!.lat));
    body.set('long', degreesText(position!.lon));
    if (addressString.trim()) body.set('address_string', addressString.trim());
    if (description.trim()) body.set('description', description);
    for (const a of attributes) {
      const answer = answers[a.code];
      if (!a.variable || answer === undefined) continue;
      const name = `attribute[${a.code}]`;
      if (Array.isArray(answer)) answer.forEach((v) => body.append(name, v));
      else if (answer.trim() === '') continue;
      // datetime-local is the phone's own wall-clock time: send the instant it means
      else if (a.datatype === 'datetime' && !Number.isNaN(new Date(answer).getTime())) body.set(name, new Date(answer).toISOString());
      else body.set(name, answer.trim());
    }
    for (const [key, value] of Object.entries(contact)) if (value.trim()) body.set(key, value.trim());
    for (const p of photos) body.append('photo', p.file, p.file.name);

    setSending(true);
    setErrors({});
    const result = await submitReport(body);
    setSending(false);
    if (result.ok) {
      onCreated(result.created);
      return;
    }
    const grouped = groupErrors(result.errors);
    setErrors(grouped);
    const first = firstErrorField(grouped, attributes.map((a) => a.code));
    if (first) focusField(first);
  };

  const descriptionChars = charCount(description);
  const errorCount = useMemo(() => Object.values(errors).reduce((n, list) => n + (list?.length ?? 0), 0), [errors]);

  return (
    <form className="report-form" noValidate onSubmit={submit} data-testid="report-form">
      <section className="card" aria-labelledby="step-what">
        <h2 id="step-what">
          <span className="step">1</span> What is the problem?
        </h2>
        <fieldset className="field" aria-invalid={!!errors.service_code} aria-describedby={errors.service_code ? 'service_code-error' : undefined}>
          <legend className="visually-hidden">Kind of problem (required)</legend>
          <div className="categories" data-testid="categories">
            {services.map((s) => (
              <label key={s.service_code} className="category" data-testid={`category-${s.service_code}`}>
                <input
                  type="radio"
                  name="service_code"
                  value={s.service_code}
                  checked={serviceCode === s.service_code}
                  onChange={() => {
                    setServiceCode(s.service_code);
                    clearError('service_code');
                  }}
                />
                <span>{s.service_name}</span>
              </label>
            ))}
          </div>
          <FieldErrorText id="service_code-error" errors={errors.service_code} />
        </fieldset>
        {service && (
          <p className="hint" data-testid="service-description">
            {service.description}
          </p>
        )}
        {attributes.map((a) => (
          <AttributeField
            key={a.code}
            attribute={a}
            value={answers[a.code]}
            errors={errors[`attribute[${a.code}]`]}
            onChange={(value) => {
              setAnswers((prev) => ({ ...prev, [a.code]: value }));
              clearError(`attribute[${a.code}]`);
            }}
          />
        ))}
      </section>

      <section className="card" aria-labelledby="step-where">
        <h2 id="step-where">
          <span className="step">2</span> Where is the problem?
        </h2>
        <p className="hint">Tap the map where the problem is, then drag the pin to adjust. Move the map with two fingers.</p>
        <PinMap config={map} bounds={limits.bounds} position={position} onChange={place} label="Map: tap to place the pin at the problem" testId="pin-map" />
        <button type="button" className="button" onClick={useMyLocation} data-testid="use-location">
          Use my location
        </button>
        {locating && (
          <p className="hint" aria-live="polite" data-testid="location-status">
            {locating}
          </p>
        )}
        <CoordinateFields position={position} onChange={place} invalid={!!errors.location} />
        <FieldErrorText id="location-error" errors={errors.location} />
        <div className="field">
          <label htmlFor="address_string">
            Nearest address or landmark <span className="optional">(optional)</span>
          </label>
          <input
            id="address_string"
            type="text"
            autoComplete="street-address"
            maxLength={OPEN311_LIMITS.addressMaxChars}
            value={addressString}
            onChange={(ev) => setAddressString(ev.target.value)}
            aria-invalid={!!errors.address_string}
          />
          <FieldErrorText id="address_string-error" errors={errors.address_string} />
        </div>
      </section>

      {nearby && nearby.length > 0 && <AlreadyReported reports={nearby} />}

      <section className="card" aria-labelledby="step-describe">
        <h2 id="step-describe">
          <span className="step">3</span> Describe it
        </h2>
        <div className="field">
          <label htmlFor="description">
            What do you see? <span className="optional">(optional)</span>
          </label>
          <textarea
            id="description"
            rows={5}
            value={description}
            onChange={(ev) => {
              setDescription(ev.target.value);
              clearError('description');
            }}
            aria-invalid={!!errors.description}
            aria-describedby="description-count"
            data-testid="description"
          />
          <span id="description-count" className={`counter${descriptionChars > OPEN311_LIMITS.descriptionMaxChars ? ' over' : ''}`}>
            {descriptionChars} / {OPEN311_LIMITS.descriptionMaxChars} characters
          </span>
          <FieldErrorText id="description-error" errors={errors.description} />
        </div>
        <p className="hint">Your description and photos are shown on the report's public page.</p>
      </section>

      <section className="card" aria-labelledby="step-photos">
        <h2 id="step-photos">
          <span className="step">4</span> Photos <span className="optional">(optional)</span>
        </h2>
        <p className="hint" id="photos-hint">
          Up to {limits.max_photos} photos, JPEG, PNG or WebP, at most {sizeText(limits.max_photo_bytes)} each. Location and camera details are removed from
          photos before anyone sees them.
        </p>
        {photos.length > 0 && (
          <ul className="photos" data-testid="photo-previews">
            {photos.map((p) => (
              <li key={p.id}>
                <img src={p.url} alt={`Photo to send: ${p.file.name}`} />
                <button type="button" className="button small" onClick={() => removePhoto(p.id)} aria-label={`Remove ${p.file.name}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        {photos.length < limits.max_photos && (
          <label className="button file-button" htmlFor="photos">
            {photos.length === 0 ? 'Add photos' : 'Add another photo'}
          </label>
        )}
        <input
          id="photos"
          className="visually-hidden"
          type="file"
          accept={PHOTO_TYPES.join(',')}
          multiple
          aria-describedby="photos-hint"
          data-testid="photo-input"
          onChange={(ev) => {
            addPhotos(ev.target.files);
            ev.target.value = '';
          }}
        />
        {photoNotes.length > 0 && (
          <ul className="field-error" role="alert" data-testid="photo-notes">
            {photoNotes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
        <FieldErrorText id="photo-error" errors={errors.photo} />
      </section>

      <section className="card" aria-labelledby="step-contact">
        <h2 id="step-contact">
          <span className="step">5</span> Your contact details <span className="optional">(optional)</span>
        </h2>
        <p className="privacy" data-testid="contact-note">
          We use these only to tell you about this report's progress or to ask about it. They are never shown publicly, never on the report's page and never in
          the city's open data. Leave them empty to report anonymously.
        </p>
        <ContactField name="email" label="Email" type="email" autoComplete="email" inputMode="email" maxLength={OPEN311_LIMITS.emailMaxChars} value={contact.email} errors={errors.email} onChange={(v) => { setContact({ ...contact, email: v }); clearError('email'); }} />
        <ContactField name="phone" label="Phone" type="tel" autoComplete="tel" inputMode="tel" maxLength={OPEN311_LIMITS.phoneMaxChars} value={contact.phone} errors={errors.phone} onChange={(v) => { setContact({ ...contact, phone: v }); clearError('phone'); }} />
        <ContactField name="first_name" label="First name" type="text" autoComplete="given-name" maxLength={OPEN311_LIMITS.nameMaxChars} value={contact.first_name} errors={errors.first_name} onChange={(v) => setContact({ ...contact, first_name: v })} />
        <ContactField name="last_name" label="Last name" type="text" autoComplete="family-name" maxLength={OPEN311_LIMITS.nameMaxChars} value={contact.last_name} errors={errors.last_name} onChange={(v) => setContact({ ...contact, last_name: v })} />
      </section>

      <div className="submit-bar">
        {errorCount > 0 && (
          <p className="field-error" role="alert" data-testid="form-errors">
            {errors.form ? errors.form.join(' ') : `Please check the ${errorCount === 1 ? 'answer' : `${errorCount} answers`} marked above.`}
          </p>
        )}
        <button id="submit" type="submit" className="button primary" disabled={sending} data-testid="submit">
          {sending ? 'Sending…' : 'Send report'}
        </button>
      </div>
    </form>
  );
}

function FieldErrorText({ id, errors }: { id: string; errors: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <span className="field-error" id={id} role="alert" data-testid={id}>
      {errors.join(' ')}
    </span>
  );
}

interface ContactFieldProps {
  name: 'email' | 'phone' | 'first_name' | 'last_name';
  label: string;
  type: 'email' | 'tel' | 'text';
  autoComplete: string;
  inputMode?: 'email' | 'tel';
  maxLength: number;
  value: string;
  errors: string[] | undefined;
  onChange: (value: string) => void;
}

function ContactField(p: ContactFieldProps) {
  const invalid = (p.errors?.length ?? 0) > 0;
  return (
    <div className="field">
      <label htmlFor={p.name}>{p.label}</label>
      <input
        id={p.name}
        type={p.type}
        autoComplete={p.autoComplete}
        inputMode={p.inputMode}
        maxLength={p.maxLength}
        value={p.value}
        onChange={(ev) => p.onChange(ev.target.value)}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${p.name}-error` : undefined}
      />
      <FieldErrorText id={`${p.name}-error`} errors={p.errors} />
    </div>
  );
}

/** The pin's position as two text boxes: for screen readers, keyboards and anyone who knows the numbers. */
function CoordinateFields({ position, onChange, invalid }: { position: LatLon | undefined; onChange: (p: LatLon) => void; invalid: boolean }) {
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  // the pin moved (tap, drag, GPS): show where, unless the boxes already say so
  useEffect(() => {
    if (!position) return;
    if (parseDegrees(lat, 90) !== position.lat) setLat(degreesText(position.lat));
    if (parseDegrees(lon, 180) !== position.lon) setLon(degreesText(position.lon));
    // only the position drives this
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [position]);
  const typed = (nextLat: string, nextLon: string) => {
    setLat(nextLat);
    setLon(nextLon);
    const la = parseDegrees(nextLat, 90);
    const lo = parseDegrees(nextLon, 180);
    if (la !== undefined && lo !== undefined) onChange({ lat: la, lon: lo });
  };
  return (
    <fieldset className="field coordinates" aria-describedby={invalid ? 'location-error' : undefined}>
      <legend>
        Or type the coordinates <span className="hint">(decimal degrees)</span>
      </legend>
      <div className="pair">
        <label>
          Latitude
          <input id="lat" type="text" inputMode="decimal" autoComplete="off" value={lat} onChange={(ev) => typed(ev.target.value, lon)} aria-invalid={invalid} data-testid="lat" />
        </label>
        <label>
          Longitude
          <input id="long" type="text" inputMode="decimal" autoComplete="off" value={lon} onChange={(ev) => typed(lat, ev.target.value)} aria-invalid={invalid} data-testid="long" />
        </label>
      </div>
    </fieldset>
  );
}

function AlreadyReported({ reports }: { reports: NearbyReport[] }) {
  return (
    <section className="card nearby" aria-labelledby="nearby-title" data-testid="nearby" aria-live="polite">
      <h2 id="nearby-title">Already reported?</h2>
      <p>
        {reports.length === 1
          ? 'An open report of the same kind is close to your pin. If it is your problem, there is no need to report it again: follow its page instead.'
          : `${reports.length} open reports of the same kind are close to your pin. If one of them is your problem, there is no need to report it again: follow its page instead.`}
      </p>
      <ul className="nearby-list" data-testid="nearby-list">
        {reports.map((r) => (
          <li key={r.service_request_id} data-testid="nearby-report">
            <div className="nearby-head">
              <span className={`badge tone-${statusTone(r.status)}`}>{r.status_label}</span>
              <span className="muted">{distanceText(r.distance_m)}</span>
            </div>
            <span className="hint">Reported {localTime(r.requested_datetime)}</span>
            {r.description && <p className="quote">{r.description.length > 160 ? `${r.description.slice(0, 160)}…` : r.description}</p>}
            <a href={r.status_url} data-testid="nearby-link">
              See report {r.service_request_id}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
