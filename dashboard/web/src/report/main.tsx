// The citizen pages' entry (report.html, served at /report and /report/...): the form, or a report's
// status page for /report/status/{id}. A bundle of its own: a phone does not load the control room.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ReportPage } from './report-form.tsx';
import { StatusPage } from './status-page.tsx';
import './report.css';

const STATUS_PATH = /^\/report\/status\/([^/]+)\/?$/;

/** the id in the path; a malformed escape stays as it is (it names no report: the page says so) */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function Route() {
  const status = STATUS_PATH.exec(window.location.pathname);
  if (status) return <StatusPage id={decoded(status[1]!)} />;
  return <ReportPage />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Route />
  </StrictMode>,
);
