// 属性条件构造器: field, operator, value (a code list when the queryables give one) → CQL2 text.
import { h } from './dom.js';
import { displayValue, fieldName } from './identify.js';

export const OPERATORS = [['=', '等于'], ['<>', '不等于'], ['>', '大于'], ['>=', '大于等于'], ['<', '小于'],
  ['<=', '小于等于'], ['LIKE', '包含']];

const NUMERIC = new Set(['number', 'integer']);

function identifier(field) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(field) ? field : `"${field.replaceAll('"', '""')}"`;
}

function literal(value, type) {
  if (NUMERIC.has(type) && value.trim() !== '' && !Number.isNaN(Number(value))) return String(Number(value));
  return `'${value.replaceAll("'", "''")}'`;
}

/** CQL2 text of the conditions (joined by AND); '' when there is none. */
export function toCql(conditions, schema) {
  return conditions.filter((c) => c.field && c.value !== '').map(({ field, op, value }) => {
    if (op === 'LIKE') return `${identifier(field)} LIKE '%${value.replaceAll("'", "''")}%'`;
    return `${identifier(field)} ${op} ${literal(value, schema[field]?.type)}`;
  }).join(' AND ');
}

/** One condition row; `row.read()` gives {field, op, value}. */
export function conditionRow(layer, schema, onRemove) {
  const fields = Object.keys(schema).filter((f) => f !== 'geometry');
  const field = h('select', { name: 'field' }, fields.map((f) => h('option', { value: f }, fieldName(layer, f, schema))));
  const op = h('select', { name: 'op' }, OPERATORS.map(([value, label]) => h('option', { value }, label)));
  const valueCell = h('span', { class: 'value' });
  let value = null;
  const renderValue = () => {
    const codes = schema[field.value]?.codes || {};
    value = Object.keys(codes).length
      ? h('select', { name: 'value' }, Object.keys(codes).sort().map((c) => h('option', { value: c }, displayValue(field.value, c, schema))))
      : h('input', { name: 'value', placeholder: '值' });
    valueCell.replaceChildren(value);
  };
  field.addEventListener('change', renderValue);
  renderValue();
  const row = h('div', { class: 'condition' }, field, op, valueCell,
    h('button', { type: 'button', title: '删除条件', onclick: () => { row.remove(); onRemove?.(); } }, '×'));
  row.read = () => ({ field: field.value, op: op.value, value: value.value.trim() });
  return row;
}
