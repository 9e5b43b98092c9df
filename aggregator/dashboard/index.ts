/** The live dashboard served at GET /: the fleet page, and each app's page. */
export type { DashboardRouterOptions } from './routes';
export { DASHBOARD_CSP, dashboardRouter } from './routes';
export { DASHBOARD_APP_HTML, DASHBOARD_HTML, FLEET_HTML, VOCABULARY_ELEMENT_ID } from './page';
export { DASHBOARD_CSS } from './styles';
export type { DashboardModule } from './scripts';
export { DASHBOARD_MODULES, dashboardScriptDir, loadDashboardScripts } from './scripts';
export { CLOCK_OFFSET_SHOWN_MS, DASHBOARD_VOCABULARY, FINDING_LABELS, findingLabel } from './vocabulary';
