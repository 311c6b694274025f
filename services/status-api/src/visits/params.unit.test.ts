import { HttpError } from '@retail-pulse/shared/http';
import { parseVisitsParams } from './params';

describe('parseVisitsParams', () => {
  it('reads whole days inclusively', () => {
    expect(parseVisitsParams({ area: '71', storeid: 'S1', startdate: '2024-01-21', enddate: '2024-01-22' })).toEqual({
      area: '71',
      storeId: 'S1',
      from: new Date('2024-01-21T00:00:00.000Z'),
      until: new Date('2024-01-23T00:00:00.000Z'),
    });
  });

  it('reads date-times with offsets as instants', () => {
    expect(parseVisitsParams({ startdate: '2024-01-21T10:00:00+05:30' })).toEqual({
      from: new Date('2024-01-21T04:30:00.000Z'),
    });
  });

  it('treats empty parameters as absent', () => {
    expect(parseVisitsParams({ area: '', storeid: ' ' })).toEqual({});
  });

  it.each([
    [{ startdate: '2024-13-01' }, 'startdate is not a valid date: 2024-13-01'],
    [
      { enddate: 'tomorrow' },
      'enddate must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): tomorrow',
    ],
    [{ startdate: '2024-01-02', enddate: '2024-01-01' }, 'startdate must not be after enddate'],
    [{ storeid: ['a', 'b'] }, 'storeid must be given once'],
  ])('refuses %j', (query, message) => {
    expect(() => parseVisitsParams(query)).toThrow(HttpError);
    expect(() => parseVisitsParams(query)).toThrow(message);
  });
});
