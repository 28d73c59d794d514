// ECharts on first use: the map's first paint does not wait for the chart library (分组统计 and 叠加分析
// charts import it through here; charts.js holds the tree-shaken parts).
let echartsLoaded = null;

export function loadEcharts() {
  echartsLoaded ??= import('./charts.js').then((m) => m.echarts);
  return echartsLoaded;
}
