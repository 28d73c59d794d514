// The parts of ECharts the statistics, the 指标监测 board and the 体检评估 trends use (tree-shaken; loaded lazily).
import * as echarts from 'echarts/core';
import { BarChart, GaugeChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GaugeChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent,
  TooltipComponent,
  CanvasRenderer]);

export { echarts };
