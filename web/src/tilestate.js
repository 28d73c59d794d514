// 图层加载状态: whether a layer's tiles are loading, and the Chinese message of the last failure (403 →
// 无权访问该图层, no answer → 网络错误,请重试); cleared when a tile loads again.
import { errorMessage } from './errors.js';

/** Follow the tiles of `source`; `onChange({loading, error})` on every change of the state. */
export function watchTiles(source, onChange) {
  let loading = 0;
  let error = '';
  const emit = () => onChange({ loading: loading > 0, error });
  source.on('tileloadstart', () => {
    loading += 1;
    emit();
  });
  source.on('tileloadend', () => {
    loading = Math.max(0, loading - 1);
    error = '';
    emit();
  });
  source.on('tileloaderror', () => {
    loading = Math.max(0, loading - 1);
    error = errorMessage(source.get('tileError') ?? 0, 'layer');
    emit();
  });
}

/** The text shown beside a layer for its state ('' when drawn). */
export function stateText({ loading, error }) {
  if (error) return error;
  return loading ? '加载中…' : '';
}
