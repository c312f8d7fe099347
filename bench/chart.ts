/** A horizontal grouped bar chart as SVG text, drawn by the benchmark from its own numbers. */
const COLORS = ['#e0a000', '#b3261e', '#1e8e3e', '#3366cc'];

export interface ChartRow {
	label: string;
	values: number[];
}

function escape(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function barChart(title: string, series: string[], rows: ChartRow[]): string {
	const labelWidth = 260;
	const plotWidth = 480;
	const barHeight = 9;
	const rowHeight = series.length * barHeight + 8;
	const top = 40;
	const height = top + rows.length * rowHeight + 30;
	const max = Math.max(1, ...rows.flatMap((row) => row.values.filter(Number.isFinite)));
	const scale = plotWidth / max;
	const parts = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 80}" height="${height}" font-family="sans-serif" font-size="11">`,
		`<rect width="100%" height="100%" fill="#ffffff"/>`,
		`<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
	];
	series.forEach((name, index) => {
		const x = labelWidth + index * 90;
		parts.push(`<rect x="${x}" y="${top - 14}" width="10" height="10" fill="${COLORS[index % COLORS.length]}"/>`);
		parts.push(`<text x="${x + 14}" y="${top - 5}">${escape(name)}</text>`);
	});
	rows.forEach((row, rowIndex) => {
		const y = top + rowIndex * rowHeight;
		parts.push(
			`<text x="${labelWidth - 8}" y="${y + rowHeight / 2 + 2}" text-anchor="end">${escape(row.label)}</text>`
		);
		row.values.forEach((value, index) => {
			const width = Number.isFinite(value) ? Math.max(1, value * scale) : 0;
			const barY = y + index * barHeight;
			parts.push(
				`<rect x="${labelWidth}" y="${barY}" width="${width.toFixed(1)}" height="${barHeight - 1}" fill="${COLORS[index % COLORS.length]}"/>`
			);
			parts.push(
				`<text x="${(labelWidth + width + 4).toFixed(1)}" y="${barY + barHeight - 1}">${Number.isFinite(value) ? value.toFixed(1) : 'n/a'}</text>`
			);
		});
	});
	parts.push('</svg>', '');
	return parts.join('\n');
}
