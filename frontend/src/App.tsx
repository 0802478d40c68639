import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { createBrowserRouter, type RouteObject, RouterProvider } from 'react-router';
import { Loading } from './components/QueryState';
import { ApiError } from './lib/api';
import { serviceStatus } from './lib/serviceStatus';
import { sessionStore } from './lib/session';
import { Layout } from './routes/Layout';

// Each page is its own chunk: the first load carries the shell and the page it opens on.
const SignIn = lazy(() => import('./routes/SignIn'));
const Overview = lazy(() => import('./routes/Overview'));
const Jobs = lazy(() => import('./routes/Jobs'));
const JobDetail = lazy(() => import('./routes/JobDetail'));
const CreateJob = lazy(() => import('./routes/CreateJob'));
const DeadLetters = lazy(() => import('./routes/DeadLetters'));
const Tenants = lazy(() => import('./routes/Tenants'));
const NotFound = lazy(() => import('./routes/NotFound'));

export const routes: RouteObject[] = [
  {
    path: '/sign-in',
    element: (
      <Suspense fallback={<Loading what="page" />}>
        <SignIn />
      </Suspense>
    ),
  },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Overview /> },
      { path: 'jobs', element: <Jobs /> },
      { path: 'jobs/:id', element: <JobDetail /> },
      { path: 'create', element: <CreateJob /> },
      { path: 'dlq', element: <DeadLetters /> },
      { path: 'tenants', element: <Tenants /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];

/** A 4xx other than 429 will not change by asking again; anything else is retried a few times. */
const shouldRetry = (count: number, error: unknown): boolean =>
  !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 3;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // Live events keep loaded data current; a refetch on focus would only add load.
      queries: { staleTime: 10_000, refetchOnWindowFocus: false, retry: shouldRetry },
      mutations: { retry: false },
    },
  });
}

export function App({ client }: { client: QueryClient }) {
  const [router] = useState(() => createBrowserRouter(routes));
  // Nothing cached under one key may show under the next.
  useEffect(
    () =>
      sessionStore.onEnd(() => {
        client.clear();
        serviceStatus.reset();
      }),
    [client],
  );
  return (
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
