import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  cloneElement,
  type FormEvent,
  type InputHTMLAttributes,
  isValidElement,
  type ReactNode,
  useEffect,
  useState,
} from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage, Loading } from '../components/QueryState';
import { ApiError } from '../lib/api';
import { parsePayload } from '../lib/jsonField';
import { useScopedPath } from '../lib/scope';
import { type CreateJob as CreateJobBody, fetchJobTypes, type JobType, submitJob } from '../services/jobs';
import { queryKeys } from '../services/queryKeys';

type Schedule = 'now' | 'delay' | 'at';

export interface Draft {
  type: string;
  payload: string;
  maxAttempts: string;
  schedule: Schedule;
  delaySeconds: string;
  runAt: string;
  priority: string;
  queue: string;
  idempotencyKey: string;
  timeoutMs: string;
}

export const EMPTY: Draft = {
  type: '',
  payload: '{}',
  maxAttempts: '',
  schedule: 'now',
  delaySeconds: '',
  runAt: '',
  priority: '',
  queue: '',
  idempotencyKey: '',
  timeoutMs: '',
};

/** The request body a draft makes: empty fields are left out, so the API's defaults apply. */
export function toRequest(draft: Draft, payload: Record<string, unknown>): CreateJobBody {
  const body: CreateJobBody = { type: draft.type, payload };
  const int = (text: string) => (text.trim() === '' ? undefined : Number(text));
  if (int(draft.maxAttempts) !== undefined) body.max_attempts = int(draft.maxAttempts);
  if (int(draft.priority) !== undefined) body.priority = int(draft.priority);
  if (draft.queue.trim()) body.queue = draft.queue.trim();
  if (draft.idempotencyKey.trim()) body.idempotency_key = draft.idempotencyKey.trim();
  if (int(draft.timeoutMs) !== undefined) body.timeout_ms = int(draft.timeoutMs);
  if (draft.schedule === 'delay' && draft.delaySeconds.trim())
    body.delay_ms = Math.round(Number(draft.delaySeconds) * 1000);
  if (draft.schedule === 'at' && draft.runAt) body.run_at = new Date(draft.runAt).toISOString();
  return body;
}

function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {isValidElement<Record<string, unknown>>(children)
        ? cloneElement(children, {
            'aria-invalid': error ? true : undefined,
            'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
          })
        : children}
      {hint && !error && (
        <small className="muted" id={`${id}-hint`}>
          {hint}
        </small>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** Fields the API may name in a 400 that the form shows beside an input; others go below it. */
const SHOWN_FIELDS = [
  'timeout_ms',
  'type',
  'payload',
  'max_attempts',
  'max_retries',
  'delay_ms',
  'run_at',
  'priority',
  'queue',
  'idempotency_key',
  'file',
];

type SetDraft = (patch: Partial<Draft>) => void;
/** The API's message for the first of these fields that has one. */
type ErrorOf = (...fields: string[]) => string | undefined;

export default function CreateJob() {
  const navigate = useNavigate();
  const scoped = useScopedPath();
  const client = useQueryClient();
  const types = useQuery({ queryKey: queryKeys.jobTypes, queryFn: fetchJobTypes, staleTime: Infinity });
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [payloadEdited, setPayloadEdited] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const set: SetDraft = (patch) => setDraft((current) => ({ ...current, ...patch }));
  useFirstTypeChosen(types.data, draft.type, setDraft);

  const chooseType = (name: string) => {
    const example = types.data?.find((type) => type.type === name)?.example_payload;
    set({ type: name, ...(!payloadEdited && example ? { payload: JSON.stringify(example, null, 2) } : {}) });
    if (name !== 'analyze') setFile(null);
  };

  const parsed = parsePayload(draft.payload);
  const submit = useMutation({
    mutationFn: (body: CreateJobBody) => submitJob(body, file ?? undefined),
    onSuccess: (job) => {
      void client.invalidateQueries({ queryKey: queryKeys.jobs.lists });
      navigate(scoped(`/jobs/${job.id}`));
    },
  });
  const fieldErrors = submit.error instanceof ApiError ? submit.error.fieldMessages() : {};
  const errorOf: ErrorOf = (...fields) => fields.map((field) => fieldErrors[field]).find(Boolean);
  const otherErrors = Object.entries(fieldErrors).filter(([field]) => !SHOWN_FIELDS.includes(field));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!parsed.ok) return;
    submit.mutate(toRequest(draft, parsed.value));
  };

  if (types.error) return <ErrorMessage error={types.error} retry={() => void types.refetch()} />;
  if (!types.data) return <Loading what="job types" />;
  const typeInfo = types.data.find((type) => type.type === draft.type);
  const description = typeInfo?.description;

  return (
    <form className="create-form" onSubmit={onSubmit} noValidate aria-labelledby="create-title">
      <h1 id="create-title">Create a job</h1>
      <Field id="job-type" label="Type" error={errorOf('type')} hint={description}>
        <select id="job-type" value={draft.type} onChange={(event) => chooseType(event.target.value)}>
          {types.data.map((type) => (
            <option key={type.type} value={type.type}>
              {type.type}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id="job-payload"
        label="Payload (JSON object)"
        error={(!parsed.ok && parsed.error) || errorOf('payload')}
      >
        <textarea
          id="job-payload"
          rows={8}
          spellCheck={false}
          className="mono"
          value={draft.payload}
          onChange={(event) => {
            setPayloadEdited(true);
            set({ payload: event.target.value });
          }}
        />
      </Field>
      {draft.type === 'analyze' && (
        <Field
          id="job-file"
          label="Log file (required: analyze counts matches in it)"
          error={errorOf('file')}
        >
          <input id="job-file" type="file" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
        </Field>
      )}
      <OptionFields draft={draft} set={set} errorOf={errorOf} typeInfo={typeInfo} />
      <ScheduleFields draft={draft} set={set} errorOf={errorOf} />
      {submit.error && (otherErrors.length > 0 || Object.keys(fieldErrors).length === 0) && (
        <ErrorMessage error={submit.error} />
      )}
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={!parsed.ok || submit.isPending || (draft.type === 'analyze' && file === null)}
        >
          {submit.isPending ? 'Submitting…' : 'Submit job'}
        </button>
      </div>
    </form>
  );
}

/** The first type is chosen and its example filled in, so Submit works with the defaults. */
function useFirstTypeChosen(
  types: JobType[] | undefined,
  chosen: string,
  setDraft: (update: (current: Draft) => Draft) => void,
) {
  useEffect(() => {
    if (!types?.length || chosen) return;
    const first = types.find((type) => type.type === 'email') ?? types[0];
    setDraft((current) => ({
      ...current,
      type: first.type,
      payload: JSON.stringify(first.example_payload, null, 2),
    }));
  }, [types, chosen, setDraft]);
}

/** A draft's text field in a labelled Field: `name` says which. */
function DraftInput({
  name,
  draft,
  set,
  label,
  error,
  hint,
  ...input
}: {
  name: Exclude<keyof Draft, 'schedule'>;
  draft: Draft;
  set: SetDraft;
  label: string;
  error?: string;
  hint?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'value' | 'onChange'>) {
  return (
    <Field id={input.id!} label={label} error={error} hint={hint}>
      <input {...input} value={draft[name]} onChange={(event) => set({ [name]: event.target.value })} />
    </Field>
  );
}

/** The optional settings, each left to the API's default when empty. */
function OptionFields({
  draft,
  set,
  errorOf,
  typeInfo,
}: {
  draft: Draft;
  set: SetDraft;
  errorOf: ErrorOf;
  typeInfo: JobType | undefined;
}) {
  const common = { draft, set };
  return (
    <div className="form-grid">
      <DraftInput
        {...common}
        name="maxAttempts"
        id="job-attempts"
        label="Max attempts"
        error={errorOf('max_attempts', 'max_retries')}
        hint="Default 4"
        type="number"
        min={1}
        inputMode="numeric"
      />
      <DraftInput
        {...common}
        name="priority"
        id="job-priority"
        label="Priority"
        error={errorOf('priority')}
        hint="Lower runs first; default 0"
        type="number"
        inputMode="numeric"
      />
      <DraftInput
        {...common}
        name="queue"
        id="job-queue"
        label="Queue"
        error={errorOf('queue')}
        hint="Default: default"
      />
      <DraftInput
        {...common}
        name="idempotencyKey"
        id="job-idempotency"
        label="Idempotency key"
        error={errorOf('idempotency_key')}
        hint="A repeat returns the first job"
      />
      <DraftInput
        {...common}
        name="timeoutMs"
        id="job-timeout"
        label="Time limit (ms)"
        error={errorOf('timeout_ms')}
        hint={`Default ${typeInfo?.default_timeout_ms?.toLocaleString('en') ?? '—'} ms for ${draft.type}`}
        type="number"
        min={1}
        inputMode="numeric"
      />
    </div>
  );
}

/** When the job runs: now, after a delay, or at a time. */
function ScheduleFields({ draft, set, errorOf }: { draft: Draft; set: SetDraft; errorOf: ErrorOf }) {
  return (
    <fieldset className="schedule">
      <legend>When</legend>
      {(
        [
          ['now', 'As soon as possible'],
          ['delay', 'After a delay'],
          ['at', 'At a time'],
        ] as const
      ).map(([value, label]) => (
        <label key={value} className="radio">
          <input
            type="radio"
            name="schedule"
            value={value}
            checked={draft.schedule === value}
            onChange={() => set({ schedule: value })}
          />
          {label}
        </label>
      ))}
      {draft.schedule === 'delay' && (
        <DraftInput
          draft={draft}
          set={set}
          name="delaySeconds"
          id="job-delay"
          label="Delay (seconds)"
          error={errorOf('delay_ms')}
          type="number"
          min={0}
        />
      )}
      {draft.schedule === 'at' && (
        <DraftInput
          draft={draft}
          set={set}
          name="runAt"
          id="job-run-at"
          label="Run at (your local time)"
          error={errorOf('run_at')}
          type="datetime-local"
        />
      )}
    </fieldset>
  );
}
