// The right-hand panel (属性查询, 查询统计): one content at a time, closable.
import { clear, h } from './dom.js';

export function rightPanel(container, onResize) {
  const panel = {
    show(title, content, { wide = false } = {}) { // wide: the business pages (tables beside the map)
      container.classList.toggle('wide', wide);
      clear(container, h('div', { class: 'panel-head' }, h('h2', {}, title),
        h('button', { type: 'button', class: 'close', title: '关闭', onclick: () => panel.hide() }, '×')), content);
      container.hidden = false;
      onResize();
    },
    hide() {
      clear(container);
      container.classList.remove('wide');
      container.hidden = true;
      onResize();
    },
  };
  return panel;
}
