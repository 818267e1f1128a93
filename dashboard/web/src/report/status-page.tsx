// A report's public page (/report/status/{id}): its status, what kind of problem, when, the description
// and photos as sent, roughly where (rounded), and the city's public updates. Everything a citizen wrote
// is rendered as text. The reporter's contact details are not in the API, so never here.
import { useEffect, useState } from 'react';
import type { PublicReport } from '@city/shared/reports';
import { localTime, statusTone } from './form-logic.ts';
import { PinMap } from './pin-map.tsx';
import { fetchFormConfig, fetchMapConfig, fetchPublicReport, type MapConfig, type ReportFormConfig } from './report-api.ts';

type Loaded = { state: 'loading' } | { state: 'missing' } | { state: 'failed'; message: string } | { state: 'ok'; report: PublicReport };

export function StatusPage({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [map, setMap] = useState<{ config: MapConfig; form: ReportFormConfig }>();

  useEffect(() => {
    const abort = new AbortController();
    setLoaded({ state: 'loading' });
    fetchPublicReport(id, abort.signal)
      .then((report) => setLoaded(report ? { state: 'ok', report } : { state: 'missing' }))
      .catch((err: Error) => {
        if (!abort.signal.aborted) setLoaded({ state: 'failed', message: err.message });
      });
    // the map is a nicety: the page stands without it
    Promise.all([fetchMapConfig(abort.signal), fetchFormConfig(abort.signal)])
      .then(([config, form]) => setMap({ config, form }))
      .catch(() => undefined);
    return () => abort.abort();
  }, [id]);

  useEffect(() => {
    if (loaded.state === 'ok') document.title = `Report ${loaded.report.service_request_id}: ${loaded.report.status_label}`;
  }, [loaded]);

  return (
    <div className="page">
      <header className="page-head">
        <p className="crumb">
          <a href="/report">Report a problem</a>
        </p>
        <h1>Report {id}</h1>
      </header>
      {loaded.state === 'loading' && (
        <p className="card" aria-live="polite">
          Loading…
        </p>
      )}
      {loaded.state === 'missing' && (
        <section className="card" data-testid="status-not-found" role="alert">
          <h2>No such report</h2>
          <p>There is no report with the tracking number {id}. Check the number on your receipt, or report the problem again.</p>
          <a className="button primary" href="/report">
            Report a problem
          </a>
        </section>
      )}
      {loaded.state === 'failed' && (
        <section className="card" role="alert">
          <p>The report could not be loaded ({loaded.message}). Please try again in a moment.</p>
        </section>
      )}
      {loaded.state === 'ok' && <ReportStatus report={loaded.report} map={map} />}
    </div>
  );
}

function ReportStatus({ report: r, map }: { report: PublicReport; map: { config: MapConfig; form: ReportFormConfig } | undefined }) {
  const tone = statusTone(r.status);
  return (
    <div data-testid="status-page">
      <section className="card" aria-labelledby="status-title">
        <h2 id="status-title" className="visually-hidden">
          Status
        </h2>
        <div className="status-head">
          <span className={`badge big tone-${tone}`} data-testid="status-label" data-status={r.status}>
            {r.status_label}
          </span>
          <span className="muted" data-testid="open311-status">
            Open311 status: {r.open311_status}
          </span>
        </div>
        {r.duplicate_of && (
          <p className="notice" data-testid="duplicate-of">
            This problem had already been reported: <a href={`/report/status/${encodeURIComponent(r.duplicate_of)}`}>follow report {r.duplicate_of}</a>.
          </p>
        )}
        {r.status_notes && (
          <p className="quote" data-testid="status-notes">
            {r.status_notes}
          </p>
        )}
        <dl className="facts">
          <dt>Problem</dt>
          <dd data-testid="status-service">{r.service_name ?? r.service_code}</dd>
          <dt>Reported</dt>
          <dd>
            <time dateTime={r.requested_datetime}>{localTime(r.requested_datetime)}</time>
          </dd>
          <dt>Last update</dt>
          <dd>
            <time dateTime={r.updated_datetime}>{localTime(r.updated_datetime)}</time>
          </dd>
          {r.expected_datetime && (
            <>
              <dt>Expected by</dt>
              <dd data-testid="status-expected">
                <time dateTime={r.expected_datetime}>{localTime(r.expected_datetime)}</time>
              </dd>
            </>
          )}
        </dl>
      </section>

      <section className="card" aria-labelledby="description-title">
        <h2 id="description-title">What was reported</h2>
        {r.description ? (
          <p className="description" data-testid="status-description">
            {r.description}
          </p>
        ) : (
          <p className="muted">No description was given.</p>
        )}
        {r.photos.length > 0 && (
          <ul className="photos status-photos" data-testid="status-photos">
            {r.photos.map((p, i) => (
              <li key={p.url}>
                <a href={p.url}>
                  <img src={p.url} alt={`Photo ${i + 1} of the problem`} width={p.width ?? undefined} height={p.height ?? undefined} data-testid="status-photo" />
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>

      {r.lat !== null && r.long !== null && (
        <section className="card" aria-labelledby="where-title">
          <h2 id="where-title">Where</h2>
          {map ? (
            <PinMap config={map.config} bounds={map.form.bounds} position={{ lat: r.lat, lon: r.long }} label="Map of the report's approximate location" testId="status-map" />
          ) : null}
          <p className="hint" data-testid="status-location">
            Around {r.lat}, {r.long}
            {r.district ? ` (${map?.form.districts.find((d) => d.id === r.district)?.name ?? r.district})` : ''}. The location is shown approximately, to protect the privacy of the person who reported it.
          </p>
        </section>
      )}

      <section className="card" aria-labelledby="updates-title">
        <h2 id="updates-title">Progress</h2>
        <ol className="timeline" data-testid="status-updates">
          <li>
            <span className="badge tone-open">Reported</span> <time dateTime={r.requested_datetime}>{localTime(r.requested_datetime)}</time>
          </li>
          {r.updates.map((u, i) => (
            <li key={i} data-testid="status-update">
              <span className={`badge tone-${statusTone(u.status)}`}>{u.status_label}</span> <time dateTime={u.updated_datetime}>{localTime(u.updated_datetime)}</time>
              {u.description && <p className="quote">{u.description}</p>}
            </li>
          ))}
        </ol>
        {r.updates.length === 0 && <p className="muted">No updates from the city yet. This page shows them as soon as there are any.</p>}
      </section>
    </div>
  );
}
