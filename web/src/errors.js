// 错误提示: the Chinese message a user sees when an API call fails, by HTTP status (0 = the network:
// server stopped, cable out), from the table data/errors.json.
import table from './data/errors.json';

/** The message for a failed call of `kind` ('layer' for map tiles, 'request' otherwise) with `status`. */
export function errorMessage(status, kind = 'request') {
  const messages = table[kind] || table.request;
  const key = status >= 500 ? '5xx' : String(status);
  return (messages[key] || messages.other).replace('{status}', String(status));
}
