/** The live dashboard served at GET /. */
export { DASHBOARD_CSP, dashboardRouter } from './routes';
export { DASHBOARD_HTML, VOCABULARY_ELEMENT_ID } from './page';
export { DASHBOARD_CSS } from './styles';
export type { DashboardModule } from './scripts';
export { DASHBOARD_MODULES, dashboardScriptDir, loadDashboardScripts } from './scripts';
export { CLOCK_OFFSET_SHOWN_MS, DASHBOARD_VOCABULARY, FINDING_LABELS, findingLabel } from './vocabulary';
