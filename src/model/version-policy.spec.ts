import {
  describePolicy,
  isCanaryTurn,
  normalizeVersion,
  parsePolicyFile,
  parsePolicySpec,
  parsePolicyText,
  selectVersions,
} from './version-policy';

describe('version policy', () => {
  it.each([
    ['latest:1', { kind: 'latest', count: 1 }],
    ['latest:3', { kind: 'latest', count: 3 }],
    ['all', { kind: 'all' }],
    ['specific:1,3', { kind: 'specific', versions: ['1', '3'] }],
  ])('parses %s', (spec, policy) => {
    expect(parsePolicySpec(spec)).toEqual(policy);
    expect(describePolicy(parsePolicySpec(spec))).toBe(spec);
  });

  it.each(['latest:0', 'newest', 'specific:'])('rejects %s', (spec) => {
    expect(() => parsePolicySpec(spec)).toThrow(/not latest:N, all or specific/);
  });

  it('normalises integer versions, so "02" names folder "2"', () => {
    expect(normalizeVersion('02')).toBe('2');
    expect(normalizeVersion('0')).toBe('0');
    expect(normalizeVersion(7)).toBe('7');
    for (const bad of ['1.5', '-1', 'two', '', ' 2', 1.5, -1, null, '99999999999999999999']) {
      expect(normalizeVersion(bad)).toBeUndefined();
    }
    expect(parsePolicySpec('specific:02,3')).toEqual({ kind: 'specific', versions: ['2', '3'] });
    const file = parsePolicyFile({
      version_policy: { specific: { versions: ['01', 3] } },
      canary: { version: '02', weight: 10 },
    });
    expect(file).toEqual({
      policy: { kind: 'specific', versions: ['1', '3'] },
      canary: { version: '2', weight: 10 },
    });
    // the canary and the specific versions now match the folders by name
    expect(selectVersions(['1', '2', '3'], file.policy!, file.canary!.version)).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(selectVersions(['1', '2', '3'], { kind: 'specific', versions: ['2'] }, '2')).toEqual([
      '2',
    ]);
  });

  it.each(['specific:a', 'specific:1,2.5', 'specific:1,-2'])(
    'rejects %s, naming the bad version',
    (spec) => {
      expect(() => parsePolicySpec(spec)).toThrow(/is not an integer version/);
    },
  );

  it('selects versions, keeping a canary beside the policy', () => {
    const onDisk = ['1', '2', '3', '10'];
    expect(selectVersions(onDisk, { kind: 'latest', count: 1 })).toEqual(['10']);
    expect(selectVersions(onDisk, { kind: 'latest', count: 2 })).toEqual(['3', '10']);
    expect(selectVersions(onDisk, { kind: 'all' })).toEqual(onDisk);
    expect(selectVersions(onDisk, { kind: 'specific', versions: ['2', '7'] })).toEqual(['2']);
    // the canary does not count towards latest:N
    expect(selectVersions(onDisk, { kind: 'latest', count: 1 }, '10')).toEqual(['3', '10']);
    expect(selectVersions(onDisk, { kind: 'latest', count: 1 }, '9')).toEqual(['10']);
  });

  it('parses version_policy.json in Triton spelling', () => {
    expect(parsePolicyFile({ version_policy: { latest: { num_versions: 2 } } })).toEqual({
      policy: { kind: 'latest', count: 2 },
    });
    expect(parsePolicyFile({ version_policy: { all: {} } })).toEqual({ policy: { kind: 'all' } });
    expect(
      parsePolicyFile({
        version_policy: { specific: { versions: [1, '3'] } },
        canary: { version: 3, weight: 12.5 },
      }),
    ).toEqual({
      policy: { kind: 'specific', versions: ['1', '3'] },
      canary: { version: '3', weight: 12.5 },
    });
    expect(parsePolicyFile({})).toEqual({});
  });

  it.each([
    [[], /JSON object/],
    [{ policy: {} }, /unknown key policy/],
    [{ version_policy: { latest: { num_versions: 0 } } }, /num_versions/],
    [{ version_policy: { newest: {} } }, /one of latest, all, specific/],
    [{ version_policy: { specific: { versions: [] } } }, /specific.versions/],
    [{ canary: { version: '2', weight: 101 } }, /canary must be/],
    [{ canary: { version: 'two', weight: 1 } }, /canary must be/],
    [{ canary: { version: '2.0', weight: 1 } }, /canary must be .*"2\.0"/],
    [{ version_policy: { specific: { versions: [1, 2.5] } } }, /integer versions.*2\.5/],
  ])('rejects policy file %j', (value, message) => {
    expect(() => parsePolicyFile(value)).toThrow(message);
  });

  it('parses the file text; no file means no settings', () => {
    expect(parsePolicyText(undefined)).toEqual({});
    expect(parsePolicyText('{"version_policy":{"all":{}}}')).toEqual({ policy: { kind: 'all' } });
    expect(() => parsePolicyText('{')).toThrow(/version_policy\.json is not valid JSON/);
  });

  it.each([0, 10, 30, 33.3, 50, 100])('sends exactly %d%% of requests to the canary', (weight) => {
    const turns = Array.from({ length: 1000 }, (_, n) => isCanaryTurn(n, weight));
    expect(turns.filter(Boolean)).toHaveLength(Math.floor(10 * weight));
    // spread evenly: every window of 100 requests holds the share, give or take one
    for (let start = 0; start <= 900; start += 50) {
      const share = turns.slice(start, start + 100).filter(Boolean).length;
      expect(Math.abs(share - weight)).toBeLessThanOrEqual(1);
    }
  });
});
