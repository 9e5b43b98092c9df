/** The live dashboard served at GET /. */
export { DASHBOARD_CSP, dashboardRouter } from './routes';
export { DASHBOARD_HTML } from './page';
export { DASHBOARD_CSS } from './styles';
export { DASHBOARD_JS } from './client';
export { CLOCK_OFFSET_SHOWN_MS, DASHBOARD_TEXT_JS, FINDING_LABELS, findingLabel } from './client-text';
