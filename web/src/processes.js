// OGC API Processes from the browser: execute, and when the server runs the job asynchronously (a large
// workload) follow the job until it finishes and read its results.
import { api } from './api.js';

const POLL_MS = 400;
const MAX_POLLS = 1500; // 10 minutes

export async function execute(processId, inputs, { onProgress } = {}) {
  const answer = await api(`/ogc/processes/${encodeURIComponent(processId)}/execution`, { method: 'POST', body: { inputs } });
  if (!answer?.jobID) return answer; // synchronous: the results themselves
  for (let i = 0; i < MAX_POLLS; i += 1) {
    const job = await api(`/ogc/jobs/${encodeURIComponent(answer.jobID)}`);
    onProgress?.(job.progress ?? 0, job.message || '');
    if (job.status === 'successful') return api(`/ogc/jobs/${encodeURIComponent(answer.jobID)}/results`);
    if (job.status === 'failed' || job.status === 'dismissed') throw new Error(job.message || '任务失败');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('任务超时');
}

export const AREA_UNITS = [
  { id: 'm2', label: '平方米', key: 'area_m2', digits: 2 },
  { id: 'ha', label: '公顷', key: 'area_ha', digits: 4 },
  { id: 'mu', label: '亩', key: 'area_mu', digits: 4 },
];

export const formatArea = (value, digits = 2) => Number(value || 0)
  .toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
