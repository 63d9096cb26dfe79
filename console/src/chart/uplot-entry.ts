/** The chart library, built into its own file (chart.js) so only pages with charts load it. */
export { default as uPlot } from 'uplot';
